"""``diffbounds verify``: run the self-checks and the claims, print a table, exit 1 on failure."""

from __future__ import annotations

import json
import sys
import time


def register(sub):
    p = sub.add_parser("verify", help="run the self-checks and claims; exit 1 if any fails")
    p.add_argument("--quick", action="store_true",
                   help="quick sizes (measured 2026-11-30: 41 s of CPU time with a warm kernel "
                        "cache on a 2-core AMD EPYC; wall time grows with the machine's load)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these checks/claims")
    p.add_argument("--json", metavar="PATH", help="write the records as JSON")
    p.add_argument("--markdown", action="store_true", help="print the claims as a Markdown table")
    p.add_argument("--readme", metavar="PATH",
                   help="with --markdown: also write the table into PATH between the markers "
                        f"{README_BEGIN!r} and {README_END!r}")
    p.set_defaults(func=_run)


README_BEGIN = "<!-- claims table: diffbounds verify --quick --markdown --readme README.md -->"
README_END = "<!-- end of claims table -->"


def replace_block(text: str, block: str) -> str:
    """``text`` with the lines between the README markers replaced by ``block``."""
    try:
        a = text.index(README_BEGIN) + len(README_BEGIN)
        b = text.index(README_END, a)
    except ValueError:
        raise ValueError(f"readme: markers {README_BEGIN!r} ... {README_END!r} not found") from None
    return text[:a] + "\n" + block.rstrip("\n") + "\n" + text[b:]


def _fmt(x):
    if x is None:
        return "-"
    return f"{x:.3g}"


def _run(args):
    from diffbounds.claims.registry import CLAIMS, run_claims
    from diffbounds.claims.selfcheck import CHECKS, run_checks

    only = args.only
    if only is not None:
        unknown = [n for n in only if n not in CHECKS and n not in CLAIMS]
        if unknown:
            raise ValueError(f"only: unknown name(s) {unknown}; checks: {list(CHECKS)}; "
                             f"claims: {list(CLAIMS)}")
    check_names = [n for n in (only or CHECKS) if n in CHECKS]
    claim_names = [n for n in (only or CLAIMS) if n in CLAIMS]
    t_start = time.perf_counter()

    def log(message):  # progress on stderr, with the elapsed time
        if not args.markdown:
            print(f"[{time.perf_counter() - t_start:6.1f} s] {message.strip()}", file=sys.stderr,
                  flush=True)

    checks = run_checks(check_names, progress=log) if check_names else []
    claims = run_claims(claim_names, quick=args.quick, progress=log) if claim_names else []
    if args.readme and not args.markdown:
        raise ValueError("readme: needs --markdown")
    if args.markdown:
        lines = ["| claim | statements | fitted constant | held-out worst ratio | slopes "
                 "(measured ± 95% vs bound) | holds |", "|---|---|---|---|---|---|"]
        for r in claims:
            slopes = "; ".join(f"{s.parameter}: {s.slope:.2f}±{s.half_width:.2f} vs {s.exponent:g}"
                               for s in r.slopes) or "-"
            lines.append(f"| {r.name} | {', '.join(r.statements)} | {_fmt(r.fitted_constant)} | "
                         f"{_fmt(r.held_out_worst_ratio)} | {slopes} | "
                         f"{'yes' if r.holds else 'NO'} |")
        table = "\n".join(lines)
        print(table)
        if args.readme:
            with open(args.readme) as fh:
                text = fh.read()
            with open(args.readme, "w") as fh:
                fh.write(replace_block(text, table))
    else:
        if checks:
            print(f"{'check':20s} {'measured':>12s} {'tolerance':>10s} {'holds':>6s} {'s':>6s}"
                  "  oracle")
            for r in checks:
                print(f"{r.name:20s} {r.measured:12.3e} {r.tolerance:10.1e} {str(r.holds):>6s} "
                      f"{r.seconds:6.2f}  {r.oracle}")
        if claims:
            print()
            print(f"{'claim':20s} {'C fitted':>10s} {'held-out':>9s} {'holds':>6s} {'s':>6s}"
                  "  slopes (measured ± 95% vs bound exponent)")
            for r in claims:
                slopes = "; ".join(f"{s.parameter} {s.slope:.2f}±{s.half_width:.2f} vs "
                                   f"{s.exponent:g}" for s in r.slopes)
                print(f"{r.name:20s} {_fmt(r.fitted_constant):>10s} "
                      f"{_fmt(r.held_out_worst_ratio):>9s} {str(r.holds):>6s} "
                      f"{r.seconds:6.1f}  {slopes}")
    n_fail = sum(not r.holds for r in checks) + sum(not r.holds for r in claims)
    n_all = len(checks) + len(claims)
    if not args.markdown:
        print(f"\nverify: {n_all - n_fail} of {n_all} hold"
              + (f"; FAILED: {[r.name for r in checks + claims if not r.holds]}" if n_fail else ""))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"checks": [r.to_dict() for r in checks],
                       "claims": [r.to_dict() for r in claims]}, fh, indent=2)
    return 1 if n_fail else 0
