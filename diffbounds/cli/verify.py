"""``diffbounds verify``: run the self-checks, the claims and their negative controls; print
titled tables; exit 0 if everything holds, 1 if anything fails, 3 if something is
inconclusive and nothing fails (``claims.verdict.EXIT_CODES``; 2 is a usage error)."""

from __future__ import annotations

import json
import os
import sys
import time

from diffbounds.cli._paths import check_output_file

README_BEGIN = "<!-- claims table: diffbounds verify --quick --markdown --readme README.md -->"
README_END = "<!-- end of claims table -->"


def register(sub):
    p = sub.add_parser(
        "verify", help="run the self-checks, claims and controls; exit 0 all hold, 1 any "
        "fails, 3 any inconclusive (none failing)")
    p.add_argument("--quick", action="store_true",
                   help="quick sizes (measured: 35 s on an idle 2-core machine with a warm "
                        "kernel cache, 100 s with an empty one; wall time grows with the "
                        "machine's load)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these checks/claims")
    p.add_argument("--json", metavar="PATH", help="write the records as JSON")
    p.add_argument("--markdown", action="store_true", help="print the claims as a Markdown table")
    p.add_argument("--readme", metavar="PATH",
                   help="with --markdown: also write the table into PATH between the markers "
                        f"{README_BEGIN!r} and {README_END!r}")
    p.add_argument("--no-controls", action="store_true",
                   help="skip the negative controls (the claims' power is then unchecked: "
                        "such a run reports 'inconclusive' where a claim would hold)")
    p.set_defaults(func=_run)


def replace_block(text: str, block: str, begin: str = README_BEGIN,
                  end: str = README_END) -> str:
    """``text`` with the lines between the markers ``begin`` and ``end`` replaced by
    ``block``."""
    try:
        a = text.index(begin) + len(begin)
        b = text.index(end, a)
    except ValueError:
        raise ValueError(f"readme: markers {begin!r} ... {end!r} not found") from None
    return text[:a] + "\n" + block.rstrip("\n") + "\n" + text[b:]


def _fmt(x, spec=".3g"):
    if x is None:
        return "-"
    try:
        return format(float(x), spec)
    except (TypeError, ValueError):
        return str(x)


def _ledger_cell(r, sep="; "):
    return sep.join(f"{k.removeprefix('gupta2024.')}={_fmt(c)}"
                    for k, c in r.ledger.items()) or "-"


def _needed_cell(r, sep="; "):
    vals = [f"{_fmt(c.value)}" for c in r.checks if c.kind == "ledger"]
    return sep.join(vals) or "-"


def _control_cell(r, sep="; "):
    if not r.controls:
        return "none"
    out = []
    for c in r.controls:
        m = _fmt(c.margin) + ("x" if c.margin_kind == "ratio" else "")
        out.append(f"{c.name}: {m} {'rejected' if c.rejected else 'NOT rejected'}")
    return sep.join(out)


def _slopes_cell(r, sep="; "):
    return sep.join(f"{s.parameter} {s.slope:.2f}±{s.half_width:.2f} vs {s.exponent:g}"
                    f"{'' if s.state == 'holds' else ' (' + s.state + ')'}"
                    for s in r.slopes) or "-"


CLAIM_LEGEND = [
    ("claim", "the claim (claims/<name>.py)"),
    ("state", "holds / fails / inconclusive (not enough power to say)"),
    ("ledger C", "pinned constant per ledger key (claims/ledger.toml; raised only by "
                 "`diffbounds ledger update`)"),
    ("needed", "largest (measured + 2·unc)/bound over the grid; must be ≤ ledger C"),
    ("slopes", "log-log slope ± 95% half-width vs the bound's exponent (one-sided; ≥ 5 "
               "values and a powered half-width, else inconclusive)"),
    ("controls", "negative controls: margin past the limit (x: needed/pinned constant, else "
                 "slope units) and whether the claim rejected it"),
    ("s", "wall seconds (claim and its controls)"),
]


def _table(title, legend, header, rows, out):
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    print(f"\n== {title} ==", file=out)
    for name, text in legend:
        print(f"  {name:10s} {text}", file=out)
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line, file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip(), file=out)


def print_report(checks, claims, out=None):
    """The titled tables of a verify run (self-checks, claims, controls)."""
    out = sys.stdout if out is None else out
    from diffbounds.claims.verdict import FASTER_THAN_BOUND_NOTE

    if checks:
        _table("Self-checks (simulation layer against oracles)",
               [("check", "name (claims/selfcheck.py)"),
                ("measured", "discrepancy from the oracle"),
                ("tolerance", "derived tolerance; holds if measured ≤ tolerance"),
                ("s", "wall seconds"), ("oracle", "what it is compared with")],
               ["check", "measured", "tolerance", "state", "s", "oracle"],
               [[r.name, f"{r.measured:.3e}", f"{r.tolerance:.1e}",
                 "holds" if r.holds else "fails", f"{r.seconds:.2f}", r.oracle]
                for r in checks], out)
    if claims:
        _table("Claims", CLAIM_LEGEND,
               ["claim", "state", "ledger C", "needed", "slopes", "controls", "s"],
               [[r.name, r.state, _ledger_cell(r), _needed_cell(r), _slopes_cell(r),
                 _control_cell(r), f"{r.seconds:.1f}"] for r in claims], out)
        print(f"  note: {FASTER_THAN_BOUND_NOTE}.", file=out)
        ctrl = [(r, c) for r in claims for c in r.controls]
        if ctrl:
            _table("Negative controls (each must be rejected by its claim)",
                   [("claim", "the claim whose verdict judges the control"),
                    ("control", "what is broken on purpose"),
                    ("verdict", "the claim's verdict on the control (must be 'fails')"),
                    ("margin", "how far past the limit (x: needed/pinned constant; else "
                               "slope units)"),
                    ("check", "the check that rejects it"), ("s", "wall seconds")],
                   ["claim", "control", "verdict", "margin", "check", "s"],
                   [[r.name, c.name, c.state,
                     _fmt(c.margin) + ("x" if c.margin_kind == "ratio" else ""), c.check,
                     f"{c.seconds:.1f}"] for r, c in ctrl], out)
        reasons = [r for r in claims if r.state != "holds"]
        if reasons:
            print("\nwhy:", file=out)
            for r in reasons:
                print(f"  {r.name} {r.state}: {r.reason}", file=out)


def markdown_table(claims) -> str:
    lines = ["| claim | state | ledger constant | needed | slopes (measured ± 95% vs bound) "
             "| controls (margin) |", "|---|---|---|---|---|---|"]
    for r in claims:
        lines.append(f"| {r.name} | {r.state} | {_ledger_cell(r, '<br>')} | "
                     f"{_needed_cell(r, '<br>')} | {_slopes_cell(r, '<br>')} | "
                     f"{_control_cell(r, '<br>')} |")
    return "\n".join(lines)


def overall_state(checks, claims) -> str:
    from diffbounds.claims.verdict import combine_states

    return combine_states([("holds" if r.holds else "fails") for r in checks]
                          + [r.state for r in claims])


def _run(args):
    from diffbounds.claims.registry import CLAIMS
    from diffbounds.claims.selfcheck import CHECKS
    from diffbounds.claims.verdict import EXIT_CODES

    only = args.only
    if only is not None:
        unknown = [n for n in only if n not in CHECKS and n not in CLAIMS]
        if unknown:
            raise ValueError(f"only: unknown name(s) {unknown}; checks: {list(CHECKS)}; "
                             f"claims: {list(CLAIMS)}")
    if args.readme and not args.markdown:
        raise ValueError("readme: needs --markdown")
    check_names = [n for n in (only or CHECKS) if n in CHECKS]
    claim_names = [n for n in (only or CLAIMS) if n in CLAIMS]
    check_output_file("json", args.json)
    check_output_file("readme", args.readme)
    if args.readme and not os.path.isfile(args.readme):
        raise ValueError(f"readme: {args.readme!r} does not exist (it must hold the markers)")
    t_start = time.perf_counter()

    def log(message):  # progress on stderr, with the elapsed time
        if not args.markdown:
            print(f"[{time.perf_counter() - t_start:6.1f} s] {message.strip()}", file=sys.stderr,
                  flush=True)

    checks, claims, interrupted = _run_interruptibly(check_names, claim_names, args.quick, log,
                                                     controls=not args.no_controls)
    if interrupted:
        done, total = len(checks) + len(claims), len(check_names) + len(claim_names)
        if args.json:
            _write_json(args.json, checks, claims, interrupted=True)
        print(f"verify: interrupted; {len(claims)} of {len(claim_names)} claims finished "
              f"({done} of {total} checks and claims)"
              + (f"; finished ones written to {args.json}" if args.json else ""),
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.no_controls:
        for r in claims:
            if r.state == "holds":
                r.set_state("inconclusive", "controls not run (--no-controls)")
    if args.markdown:
        table = markdown_table(claims)
        print(table)
        if args.readme:  # the readable tables too, on stderr (one run serves both)
            print_report(checks, claims, out=sys.stderr)
        if args.readme:
            with open(args.readme) as fh:
                text = fh.read()
            with open(args.readme, "w") as fh:
                fh.write(replace_block(text, table))
    else:
        print_report(checks, claims)
    state = overall_state(checks, claims)
    if not args.markdown:
        n_all = len(checks) + len(claims)
        n_hold = sum(r.holds for r in checks) + sum(r.state == "holds" for r in claims)
        fails = [r.name for r in checks if not r.holds] + \
            [r.name for r in claims if r.state == "fails"]
        inc = [r.name for r in claims if r.state == "inconclusive"]
        print(f"\nverify: {n_hold} of {n_all} hold"
              + (f"; FAILED: {fails}" if fails else "")
              + (f"; INCONCLUSIVE: {inc}" if inc else "")
              + f"  (exit {EXIT_CODES[state]}: {state})")
    if args.json:
        _write_json(args.json, checks, claims, state=state)
    return EXIT_CODES[state]


# ---------------------------------------------------------------------------- Ctrl-C
EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell's convention


def _run_interruptibly(check_names, claim_names, quick, log, controls=True):
    """Run the checks, then the claims one by one; on Ctrl-C (SIGINT) stop and return what
    finished: (checks, claims, interrupted)."""
    from diffbounds.claims.registry import run_claims
    from diffbounds.claims.selfcheck import run_checks

    checks, claims = [], []
    try:
        if check_names:
            checks = run_checks(check_names, progress=log)
        for name in claim_names:
            claims.extend(run_claims([name], quick=quick, progress=log, controls=controls))
    except KeyboardInterrupt:
        return checks, claims, True
    return checks, claims, False


def _write_json(path, checks, claims, interrupted=False, state=None):
    from diffbounds.claims.verdict import EXIT_CODES

    doc = {"checks": [r.to_dict() for r in checks], "claims": [r.to_dict() for r in claims]}
    if state is not None:
        doc["state"] = state
        doc["exit_code"] = EXIT_CODES[state]
    if interrupted:
        doc["interrupted"] = True
    tmp = f"{path}.tmp"
    with open(tmp, "w") as fh:
        json.dump(doc, fh, indent=2)
    os.replace(tmp, path)  # never a half-written file at ``path``
