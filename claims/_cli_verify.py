"""``diffbounds verify``: run the self-checks (and, as they land, the claims) and print a table."""

from __future__ import annotations

import json


def register(sub):
    p = sub.add_parser("verify", help="run the self-checks and claims; exit 1 if any fails")
    p.add_argument("--quick", action="store_true", help="quick sizes (under 2 minutes)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these checks/claims")
    p.add_argument("--json", metavar="PATH", help="write the records as JSON")
    p.set_defaults(func=_run)


def _run(args):
    from claims.selfcheck import run_checks

    results = run_checks(args.only)
    print(f"{'check':20s} {'measured':>12s} {'tolerance':>10s} {'holds':>6s} {'s':>6s}  oracle")
    for r in results:
        print(f"{r.name:20s} {r.measured:12.3e} {r.tolerance:10.1e} {str(r.holds):>6s} "
              f"{r.seconds:6.2f}  {r.oracle}")
    n_fail = sum(not r.holds for r in results)
    print(f"{len(results) - n_fail} passed, {n_fail} failed")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"checks": [r.to_dict() for r in results], "claims": []}, fh, indent=2)
    return 1 if n_fail else 0
