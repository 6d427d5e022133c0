"""``diffbounds bounds ...``: look up, evaluate, tabulate, check and compare the statements::

    diffbounds bounds list [--prefix P]
    diffbounds bounds show KEY
    diffbounds bounds eval KEY d=10 epsilon=0.1 ... [--reference]
    diffbounds bounds table [KEYS...] [--format markdown|latex] [--full-logs]
    diffbounds bounds check [--strict]
    diffbounds bounds compare KEY_A KEY_B [name=value ...] --vary SYMBOL --from X --to Y
                              [--points N] [--plot PATH] [--set name=value ...]

Every sub-command takes ``--json`` for machine-readable output.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np


def _dump(obj: Any) -> None:
    print(json.dumps(obj, indent=2, default=str, ensure_ascii=False))


def _parse_assignments(items: list[str], argument: str = "values") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise ValueError(f"{argument}: expected NAME=VALUE, got {item!r}")
        try:
            nums = [float(v) for v in value.split(",")]
        except ValueError as exc:
            raise ValueError(f"{argument}: {name}: {value!r} is not a number "
                             f"(or comma-separated numbers)") from exc
        if name in out:
            raise ValueError(f"{argument}: {name} given twice")
        out[name] = nums[0] if len(nums) == 1 else np.array(nums)
    return out


# ---- sub-commands ------------------------------------------------------------------------------
def _cmd_list(args: argparse.Namespace) -> int:
    from diffbounds import bounds

    sts = [bounds.get(k) for k in bounds.keys(args.prefix)]
    if args.json:
        _dump([{"key": s.key, "quantity": s.quantity, "status": s.status,
                "source": str(s.source), "expr": str(s.expr)} for s in sts])
        return 0
    width = max((len(s.key) for s in sts), default=10)
    print(f"{'key':<{width}}  {'quantity':<20} {'status':<18} source")
    for s in sts:
        print(f"{s.key:<{width}}  {s.quantity:<20} {s.status:<18} {s.source}")
    print(f"\n{len(sts)} statements")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    import sympy as sp

    from diffbounds import bounds

    st = bounds.get(args.key)
    info = st.as_dict()
    info["soft_o"] = str(bounds.soft_o(st).expr)
    if args.json:
        _dump(info)
        return 0
    print(f"{st.key}  [{st.status}]  {st.quantity}: {st.relation}")
    print(f"source:      {st.source}")
    if st.source.note:
        print(f"note:        {st.source.note}")
    if st.description:
        print(f"description: {st.description}")
    print("\n" + sp.pretty(st.expr, use_unicode=True) + "\n")
    print(f"expr:        {st.expr}")
    print(f"Õ-form:      {info['soft_o']}")
    print(f"constants:   {', '.join(info['constants']) or 'none'}")
    print("hypotheses:  " + ("\n             ".join(info["hypotheses"]) or "none"))
    print("Õ hides:     " + (", ".join(info["hidden"]) or "nothing listed"))
    for k, v in info["parts"].items():
        print(f"part {k}: {v}")
    for rec in info["derivation"]:
        print(f"derivation:  {rec}")
    print("\ndependence (each symbol to its regime, the others fixed):")
    for name, dep in info["dependence"].items():
        if "error" in dep:
            print(f"  {name:<14} {dep['error']}")
        else:
            to = "0" if dep["direction"] == "0" else "oo"
            print(f"  {name:<14} exponent {dep['exponent']:<8} log power {dep['log_power']:<5} "
                  f"{dep['growth']:<12} ({name} -> {to})")
    ref = ", ".join(f"{k}={v:g}" for k, v in info["reference_point"].items())
    val = info["value_at_reference_point"]
    print(f"\nat the reference point ({ref}): {val:.6g}" if val is not None else "")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from diffbounds import bounds

    st = bounds.get(args.key)
    values = _parse_assignments(args.values)
    if args.reference:
        given = {bounds.symbols.as_symbol(k) for k in values}
        for s, v in st.reference_point.items():
            if s not in given:
                values[s.name] = v
    out = st.evaluate(**values, check_hypotheses=not args.outside_hypotheses)
    if args.json:
        _dump({"key": st.key, "values": {k: np.asarray(v).tolist() for k, v in values.items()},
               "value": np.asarray(out).tolist()})
        return 0
    shown = ", ".join(f"{k}={np.asarray(v).tolist()}" for k, v in values.items())
    if np.ndim(out) == 0:
        print(f"{st.key}({shown}) = {out:.6g}")
    else:
        print(f"{st.key}({shown}) =")
        print("  " + ", ".join(f"{v:.6g}" for v in np.ravel(out)))
    return 0


def _cmd_table(args: argparse.Namespace) -> int:
    from diffbounds import bounds
    from diffbounds.bounds.tables import format_dependence, table_rows

    keys = args.keys or None
    if args.json:
        cols, rows = table_rows(keys, soft=not args.full_logs)
        payload = []
        for r in rows:
            cells: dict[str, dict[str, Any] | None] = {}
            for name, c in r["cells"].items():
                if c is None:
                    cells[name] = None
                else:
                    dep, hide = c
                    cells[name] = {"exponent": str(dep.exponent), "log_power": str(dep.log_power),
                                   "growth": dep.growth, "log_hidden": hide,
                                   "text": format_dependence(dep, "markdown", hide)}
            payload.append({"key": r["key"], "quantity": r["quantity"], "status": r["status"],
                            "cells": cells})
        _dump({"columns": [c.name for c in cols], "rows": payload})
        return 0
    print(bounds.table(keys, format=args.format, soft=not args.full_logs))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from diffbounds.bounds import checks

    report = checks.run_checks()
    bad = (sum(len(pc.mismatches) for pc in report["derivation"])
           + sum(not c.holds for k in ("constants", "inequalities", "instances")
                 for c in report[k]))
    if args.json:
        _dump({k: [x.as_dict() for x in v] for k, v in report.items()})
    else:
        print(checks.format_report(report))
    return 1 if (args.strict and bad) else 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from diffbounds import bounds

    a, b = bounds.get(args.key_a), bounds.get(args.key_b)
    x = bounds.symbols.as_symbol(args.vary, argument="--vary")
    if x not in a.parameters and x not in b.parameters:
        raise ValueError(f"--vary: {x.name} occurs in neither {a.key} nor {b.key}")
    if not (args.lo > 0 and args.hi > args.lo):
        raise ValueError(f"--from/--to: need 0 < from < to, got {args.lo}, {args.hi}")
    if args.points < 2:
        raise ValueError(f"--points: need at least 2, got {args.points}")
    from diffbounds.cli._paths import check_output_file

    check_output_file("--plot", args.plot)  # before any work (issue 13)
    fixed = {bounds.symbols.as_symbol(k, argument="values"): v
             for k, v in _parse_assignments(args.values + args.set_values).items()}
    for st in (a, b):
        for s, v in st.reference_point.items():
            if s != x and s not in fixed:
                fixed[s] = v
    fixed.pop(x, None)
    grid = np.geomspace(args.lo, args.hi, args.points)

    def ev(st):
        vals = {s: v for s, v in fixed.items() if s in st.parameters or s in st.constants}
        if x in st.parameters:
            vals[x] = grid
        return np.broadcast_to(np.asarray(
            st.evaluate(vals, check_hypotheses=not args.outside_hypotheses), float), grid.shape)

    va, vb = ev(a), ev(b)
    cross = bounds.crossover(a, b, x, bracket=(args.lo, args.hi),
                             check_hypotheses=not args.outside_hypotheses,
                             **{s.name: v for s, v in fixed.items()})
    fixed_txt = ", ".join(f"{s.name}={v:g}" for s, v in sorted(fixed.items(),
                                                                key=lambda kv: kv[0].name))
    if args.plot:
        _plot(args.plot, grid, va, vb, a.key, b.key, x.name, cross.roots, fixed_txt)
    if args.json:
        _dump({"a": a.key, "b": b.key, "vary": x.name,
               "fixed": {s.name: v for s, v in fixed.items()}, "grid": grid.tolist(),
               "a_values": va.tolist(), "b_values": vb.tolist(), "ratio": (va / vb).tolist(),
               "exponent_a": str(a.exponent(x)) if x in a.parameters else "0",
               "exponent_b": str(b.exponent(x)) if x in b.parameters else "0",
               "crossover": cross.as_dict(), "plot": args.plot})
        return 0
    print(f"A = {a.key}   B = {b.key}   varying {x.name}; fixed: {fixed_txt}")
    for st, lab in ((a, "A"), (b, "B")):
        if x in st.parameters:
            dep = st.dependence(x)
            print(f"  {lab}: exponent {dep.exponent}, log power {dep.log_power} ({dep.growth})")
    print(f"\n{x.name:>12} {'A':>14} {'B':>14} {'A/B':>12}")
    for xv, u, v in zip(grid, va, vb, strict=True):
        print(f"{xv:12.4g} {u:14.6g} {v:14.6g} {u / v:12.4g}")
    print("\n" + cross.message)
    if args.plot:
        print(f"plot written to {args.plot}")
    return 0


def _plot(path, grid, va, vb, la, lb, xname, roots, fixed_txt) -> None:
    """Both bounds against the varied symbol in the figures' house style (half-width panel at
    print size, legend outside the axes); the fixed values go in the PDF/PNG metadata and in
    the printed output, not in a title."""
    from diffbounds.figures import _style

    with _style.style():
        fig = _style.figure("half", 2.6)
        ax = fig.add_subplot()
        ax.loglog(grid, va, color=_style.PALETTE[0], label=f"A = {la}")
        ax.loglog(grid, vb, color=_style.PALETTE[1], ls="--", label=f"B = {lb}")
        for r in roots:
            ax.axvline(r, color="0.5", ls=":", lw=0.8)
        ax.set_xlabel(xname)
        ax.set_ylabel("bound value (C = 1)")
        _style.legend_outside(fig, ax, ncols=1)
        meta = {"Title": f"{la} vs {lb}; fixed: {fixed_txt}"}
        if str(path).lower().endswith(".png"):
            fig.savefig(path, metadata={"Software": "diffbounds", **meta})
        elif str(path).lower().endswith(".pdf"):
            fig.savefig(path, metadata={"Creator": "diffbounds", **meta})
        else:
            fig.savefig(path)


# ---- registration ------------------------------------------------------------------------------
def _outside_arg(q: argparse.ArgumentParser) -> None:
    q.add_argument("--outside-hypotheses", action="store_true",
                   help="evaluate even where the statement's hypotheses (e.g. T >= 1) or "
                        "probabilities (< 1) are violated; the numbers then carry no guarantee")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bounds", help="look up, evaluate and compare the theory's statements",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bsub = p.add_subparsers(dest="bounds_command", metavar="ACTION")
    bsub.required = True

    def add(name, func, help_):
        q = bsub.add_parser(name, help=help_)
        q.add_argument("--json", action="store_true", help="machine-readable output")
        q.set_defaults(func=func)
        return q

    q = add("list", _cmd_list, "list the registered statements")
    q.add_argument("--prefix", default=None, help="only keys starting with PREFIX")
    q = add("show", _cmd_show, "show one statement: formula, source, status, exponents")
    q.add_argument("key")
    q = add("eval", _cmd_eval, "evaluate a statement: eval KEY d=10 epsilon=0.1 ...")
    q.add_argument("key")
    q.add_argument("values", nargs="*", metavar="NAME=VALUE",
                   help="symbol values (comma-separated for several)")
    q.add_argument("--reference", action="store_true",
                   help="take the values not given from the reference point")
    _outside_arg(q)
    q = add("table", _cmd_table, "comparison table of dependences")
    q.add_argument("keys", nargs="*", metavar="KEY")
    q.add_argument("--format", choices=("markdown", "latex"), default="markdown")
    q.add_argument("--full-logs", action="store_true",
                   help="keep the log factors that Õ hides")
    q = add("check", _cmd_check, "stated vs derived exponents and the proofs' constants")
    q.add_argument("--strict", action="store_true",
                   help="exit 1 if any disagreement or failed check is found")
    q = add("compare", _cmd_compare, "compare two statements along one symbol")
    q.add_argument("key_a")
    q.add_argument("key_b")
    q.add_argument("--vary", required=True, metavar="SYMBOL")
    q.add_argument("--from", dest="lo", type=float, required=True, metavar="X")
    q.add_argument("--to", dest="hi", type=float, required=True, metavar="Y")
    q.add_argument("--points", type=int, default=9, help="grid points shown (log-spaced)")
    q.add_argument("--plot", default=None, metavar="PATH", help="save a log-log plot")
    _outside_arg(q)
    q.add_argument("values", nargs="*", metavar="NAME=VALUE",
                   help="fixed values, before the options (default: the reference point)")
    q.add_argument("--set", dest="set_values", nargs="+", action="extend", default=[],
                   metavar="NAME=VALUE", help="fixed values (anywhere on the line)")
