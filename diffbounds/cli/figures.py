"""``diffbounds figures``: render the figures (figures/) and print the written paths."""

from __future__ import annotations

import argparse
from typing import Literal


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("figures", help="render the figures to ./figures/output/ (PDF, PNG, "
                                       "CSV, JSON provenance)")
    p.add_argument("--quick", action="store_true",
                   help="test size when the store does not hold a figure's claim "
                        "(default: the claims' quick grids)")
    p.add_argument("--only", nargs="+", metavar="NAME", default=None,
                   help="figures to render (default: all); see --list")
    p.add_argument("--store", metavar="PATH", default=None,
                   help="result store to read (default: the store `diffbounds sweep` writes, "
                        "$DIFFBOUNDS_STORE or ./results/diffbounds.sqlite, if it exists)")
    p.add_argument("--no-store", action="store_true", help="never read a result store")
    p.add_argument("--outdir", metavar="DIR", default=None,
                   help="output folder (default: $DIFFBOUNDS_FIGURES or ./figures/output/ in the "
                        "working directory)")
    p.add_argument("--list", action="store_true", help="list the figures and exit")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from diffbounds import figures

    if args.list:
        for name, module in figures.FIGURES.items():
            print(f"{name:20s} {(module.__doc__ or '').strip().splitlines()[0]}")
        return 0
    names = list(figures.FIGURES) if args.only is None else args.only
    unknown = [n for n in names if n not in figures.FIGURES]
    if unknown:
        raise ValueError(f"only: unknown figure(s) {unknown}; known: {sorted(figures.FIGURES)}")
    if args.outdir is not None:  # checked before any figure is rendered (issue 13)
        import os
        from pathlib import Path

        try:
            Path(args.outdir).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"outdir: cannot create {args.outdir!r}: {exc.strerror}") from None
        if not os.access(args.outdir, os.W_OK | os.X_OK):
            raise ValueError(f"outdir: {args.outdir!r} is not writable")
    store: str | Literal[False] | None = args.store
    if args.no_store:
        store = False
    failed = 0
    for name in names:
        try:
            paths = figures.make(name, quick=args.quick, store=store, outdir=args.outdir)
        except figures.FigureDataUnavailable as exc:
            print(f"{name}: skipped: {exc}")
            failed += 1
            continue
        for kind in ("png", "pdf", "csv", "json"):
            print(f"{name}: {paths[kind]}")
    return 1 if failed else 0
