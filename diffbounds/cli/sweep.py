"""``diffbounds sweep run|status|export``: run a TOML sweep into the result store, inspect it,
export it (``claims.sweep``, ``claims.store``)."""

from __future__ import annotations

import json
import sys

from diffbounds._paths import STORE

#: the default store, shared with ``diffbounds figures`` (``$DIFFBOUNDS_STORE`` overrides it)
DEFAULT_STORE = str(STORE)


def register(sub):
    p = sub.add_parser("sweep", help="run a sweep (TOML grid of claim points) into the store")
    ssub = p.add_subparsers(dest="sweep_command", metavar="ACTION")
    ssub.required = True

    r = ssub.add_parser("run", help="run a sweep (a bundled sweep's name, e.g. quick, or "
                                    "FILE.toml); finished tasks are skipped (resume)")
    r.add_argument("file", metavar="NAME|FILE.toml")
    _store_arg(r)
    r.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes (default: number of cores; 1 runs in-process)")
    r.add_argument("--dask", metavar="ADDRESS",
                   help="run on Dask: tcp://HOST:PORT, or local[:N] for a LocalCluster")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--replace", action="store_true",
                   help="replace a different grid stored under the same sweep name (and drop "
                        "its verdicts); without it such a run is refused")
    r.set_defaults(func=_run)

    s = ssub.add_parser("status", help="per sweep and claim: tasks ok/failed/pending, verdict")
    s.add_argument("file", metavar="NAME|FILE.toml", nargs="?",
                   help="only this sweep (its current grid, including tasks not yet recorded)")
    _store_arg(s)
    s.add_argument("--json", action="store_true",
                   help="print the status rows as a JSON list instead of a table")
    s.set_defaults(func=_status)

    e = ssub.add_parser("export", help="write the stored rows as csv, json or parquet")
    _store_arg(e)
    e.add_argument("--format", choices=("csv", "json", "parquet"), default="csv")
    e.add_argument("--output", "-o", metavar="PATH", help="output file (default: stdout; "
                   "required for parquet)")
    e.add_argument("--claim", help="only rows of this claim")
    e.add_argument("--sweep", help="only the tasks of this sweep (in grid order)")
    e.add_argument("--status", choices=("ok", "failed", "all"), default="ok")
    e.set_defaults(func=_export)


def _store_arg(p):
    p.add_argument("--store", default=None, metavar="PATH",
                   help=f"SQLite result store (default: $DIFFBOUNDS_STORE or {DEFAULT_STORE} "
                        "in the working directory, the store `diffbounds figures` reads)")


def _store(args):
    from diffbounds._paths import default_store

    return str(default_store()) if args.store is None else args.store


def _load(name_or_path):
    from diffbounds import sweeps
    from diffbounds.claims.sweep import load_sweep

    return load_sweep(sweeps.resolve(name_or_path))


EXIT_INTERRUPTED = 130  # 128 + SIGINT


def _run(args):
    from diffbounds.claims.sweep import run_sweep

    sweep = _load(args.file)
    args.store = _store(args)
    try:
        summary = run_sweep(sweep, args.store, workers=args.workers, dask=args.dask,
                            progress=not args.no_progress, replace=args.replace)
    except KeyboardInterrupt:
        done = _finished_count(args.store, sweep)
        print(f"sweep {sweep.name}: interrupted; {done} of {len(sweep.tasks)} tasks finished "
              f"(stored in {args.store}); run the same command again to resume",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    print(summary.line())
    for r in _failed_rows(args.store, sweep.name)[:5]:
        last = (r["traceback"] or "").strip().splitlines()[-1:] or ["?"]
        print(f"  failed: {r['claim']} {r['params']}: {last[0]}", file=sys.stderr)
    from diffbounds.claims.verdict import STATES

    # a verdict is a state (holds / fails / inconclusive), None (incomplete) or an error message
    errors = {c: v for c, v in summary.verdicts.items()
              if isinstance(v, str) and v not in STATES}
    for claim, msg in errors.items():
        print(f"  verdict error: {claim}: {msg}", file=sys.stderr)
    return 1 if summary.failed or errors else 0


def _finished_count(store_path, sweep) -> int:
    """Tasks of ``sweep`` stored as ok (read-only; 0 when the store cannot be read)."""
    from diffbounds.claims.store import ResultStore, StoreError

    try:
        with ResultStore(store_path, readonly=True) as store:
            done = store.finished_keys()
    except StoreError:
        return 0
    return sum(t.key in done for t in sweep.tasks)


def _failed_rows(store_path, sweep):
    from diffbounds.claims.store import ResultStore

    with ResultStore(store_path, readonly=True) as store:
        return store.rows(sweep=sweep, status="failed")


def _status(args):
    from diffbounds.claims.store import ResultStore

    args.store = _store(args)
    with ResultStore(args.store, readonly=True) as store:
        if args.file:
            sweep = _load(args.file)
            done, failed = store.finished_keys(), store.failed_keys()
            verdicts = {v["claim"]: v for v in store.verdicts(sweep=sweep.name)}
            lines = []
            for claim in sweep.claims:
                keys = [t.key for t in sweep.tasks if t.claim == claim]
                n_ok, n_failed = sum(k in done for k in keys), sum(k in failed for k in keys)
                v = verdicts.get(claim)
                lines.append(dict(sweep=sweep.name, claim=claim, tasks=len(keys), ok=n_ok,
                                  failed=n_failed, pending=len(keys) - n_ok - n_failed,
                                  holds=v["holds"] if v else None,
                                  state=(v["record"] or {}).get("state") if v else None,
                                  verdict_error=v["error"] if v else None))
        else:
            lines = store.status()
    if args.json:
        print(json.dumps(lines, indent=2))
        return 0
    if not lines:
        print(f"no sweeps in {args.store}")
        return 0
    print(f"{'sweep':16s} {'claim':28s} {'tasks':>6s} {'ok':>6s} {'failed':>6s} "
          f"{'pending':>7s}  verdict")
    for d in lines:
        state = d.get("state") or ("holds" if d["holds"] else "fails")
        verdict = (state if state == "holds" else state.upper()) if d["holds"] is not None else \
            (f"error: {d['verdict_error']}" if d["verdict_error"] else "-")
        print(f"{d['sweep']:16s} {d['claim']:28s} {d['tasks']:6d} {d['ok']:6d} "
              f"{d['failed']:6d} {d['pending']:7d}  {verdict}")
    return 0


def _export(args):
    from diffbounds.claims.store import ResultStore
    from diffbounds.cli._paths import check_output_file

    check_output_file("output", args.output)
    status = None if args.status == "all" else args.status
    args.store = _store(args)
    with ResultStore(args.store, readonly=True) as store:
        text = store.export(args.format, args.output, claim=args.claim, sweep=args.sweep,
                            status=status)
    if text is not None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0
