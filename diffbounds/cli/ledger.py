"""``diffbounds ledger show|update``: the constant ledger (``claims/ledger.toml``).

``update --from-store PATH`` offers the worst point of every ledger check in the store's
verdicts (each claim's verdict recomputed from its stored rows with the current code);
``update --from-hunt PATH`` offers a hunt's worst instance (``diffbounds hunt --output``).
A candidate is adopted only where it needs a larger constant (smaller, for a lower bound).
``verify`` never writes the ledger.
"""

from __future__ import annotations

import json
import sys


def register(sub):
    p = sub.add_parser("ledger", help="show or raise the pinned constants (claims/ledger.toml)")
    lsub = p.add_subparsers(dest="ledger_command", metavar="ACTION")
    lsub.required = True
    s = lsub.add_parser("show", help="print every pinned constant and its instance")
    s.add_argument("--ledger", metavar="PATH", help="ledger file (default: claims/ledger.toml)")
    s.add_argument("--markdown", action="store_true", help="print a Markdown table")
    s.add_argument("--readme", metavar="PATH",
                   help="with --markdown: also write the table into PATH between the markers "
                        f"{README_BEGIN!r} and {README_END!r}")
    s.set_defaults(func=_show)
    u = lsub.add_parser("update", help="raise constants from a sweep store or a hunt result")
    src = u.add_mutually_exclusive_group(required=True)
    src.add_argument("--from-store", metavar="PATH", help="SQLite result store of a sweep")
    src.add_argument("--from-hunt", metavar="PATH", help="JSON written by `diffbounds hunt`")
    u.add_argument("--ledger", metavar="PATH", help="ledger file (default: claims/ledger.toml)")
    u.add_argument("--dry-run", action="store_true", help="print what would change, write nothing")
    u.set_defaults(func=_update)


README_BEGIN = "<!-- ledger table: diffbounds ledger show --markdown --readme README.md -->"
README_END = "<!-- end of ledger table -->"


def markdown_table(led) -> str:
    """Per ledger key: the pinned constant (an empirical lower bound on the statement's absolute
    constant: no smaller one covers this instance), how and where it was found."""
    lines = ["| statement (ledger key) | kind | constant | found by | instance |",
             "|---|---|---|---|---|"]
    for key in sorted(led.entries):
        e = led.entries[key]
        pt = ", ".join(f"{k}={_short(v)}" for k, v in e.point.items())
        lines.append(f"| {key} | {e.kind} | {e.constant:.4g} | {e.found_by} ({e.claim}"
                     f"{'' if e.seed < 0 else f', seed {e.seed}'}) | {pt} |")
    return "\n".join(lines)


def _short(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list):
        return "[" + ", ".join(_short(x) for x in v) + "]"
    return str(v)


def _show(args):
    from diffbounds.claims.ledger import load_ledger
    from diffbounds.cli.verify import replace_block

    led = load_ledger(args.ledger)
    if args.readme and not args.markdown:
        raise ValueError("readme: needs --markdown")
    if args.markdown:
        table = markdown_table(led)
        print(table)
        if args.readme:
            with open(args.readme) as fh:
                text = fh.read()
            with open(args.readme, "w") as fh:
                fh.write(replace_block(text, table, README_BEGIN, README_END))
        return 0
    print(f"ledger {led.path}: {len(led.entries)} constant(s)")
    for key in sorted(led.entries):
        e = led.entries[key]
        pt = ", ".join(f"{k}={v}" for k, v in e.point.items())
        print(f"  {key:45s} {e.kind:5s} C = {e.constant:.6g}  ({e.found_by}: {e.claim}, "
              f"seed {e.seed}, {e.date}, {e.code_version})")
        print(f"      instance: {pt}")
    return 0


def store_candidates(path) -> list[dict]:
    """Ledger candidates of every claim in the store at ``path``: each claim's verdict is
    recomputed from its stored rows (per sweep) with the current code, so the candidates are
    the current ledger checks' ratios; provenance (code version, git commit, date, seed) from
    the stored row of the worst point."""
    from pathlib import Path

    from diffbounds.claims.ledger import candidates_of_record
    from diffbounds.claims.registry import CLAIMS
    from diffbounds.claims.store import ResultStore

    if not Path(path).exists():
        raise ValueError(f"from_store: no store at {path}")
    out = []
    with ResultStore(path, create=False) as store:
        for sw in store.sweeps():
            for name, claim in CLAIMS.items():
                rows = store.rows(claim=name, sweep=sw["name"])
                if not rows:
                    continue
                points = [r["params"] for r in rows]
                try:
                    record = claim.verdict(points, [r["measured"] for r in rows])
                except (ValueError, KeyError) as exc:  # e.g. rows of an older measurement
                    print(f"  {sw['name']}/{name}: no verdict ({type(exc).__name__}: {exc})",
                          file=sys.stderr)
                    continue
                for cand in candidates_of_record(record.to_dict()):
                    src = next((r for r in rows if r["params"] == cand["point"]), rows[0])
                    cand.update(seed=int(cand["point"].get("seed", -1)),
                                code_version=src.get("code_version", ""),
                                git_commit=src.get("git_commit") or "",
                                date=src.get("finished_at") or src.get("created_at") or "",
                                source=f"{path} (sweep {sw['name']})")
                    out.append(cand)
    return out


def _update(args):
    from diffbounds.claims.ledger import load_ledger

    led = load_ledger(args.ledger)
    if args.from_store:
        cands, found_by = store_candidates(args.from_store), "grid"
    else:
        with open(args.from_hunt) as fh:
            data = json.load(fh)
        cands = data["candidates"] if isinstance(data, dict) and "candidates" in data else [data]
        found_by = "hunt"
    changed = []
    for c in sorted(cands, key=lambda c: c["key"]):
        old = led.get(c["key"])
        before = None if old is None else old.constant
        if led.offer(c, found_by=found_by, source=c.get("source") or
                     (args.from_store or args.from_hunt)):
            changed.append((c["key"], before, float(c["ratio"]), c.get("claim", "")))
        else:
            print(f"  {c['key']}: candidate {float(c['ratio']):.6g} ({c.get('claim', '')}) "
                  f"within pinned {old.constant:.6g}")
    for key, before, after, claim in changed:
        print(f"  {key}: {'new' if before is None else f'{before:.6g}'} -> {after:.6g} ({claim})")
    if not args.dry_run and changed:
        print(f"wrote {led.save()}")
    elif not changed:
        print("ledger unchanged")
    return 0
