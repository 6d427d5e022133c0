"""``diffbounds hunt KEY [--budget SECONDS] [--seed S]``: the adversarial constant hunt
(``claims.hunt``); writes the worst instance as JSON for ``diffbounds ledger update
--from-hunt``."""

from __future__ import annotations

import sys


def register(sub):
    from diffbounds.claims.hunt import HUNT_KEYS

    p = sub.add_parser("hunt", help="search the instance with the largest measured/bound ratio "
                       f"({', '.join(HUNT_KEYS)})")
    p.add_argument("key", metavar="KEY", help=f"statement: one of {', '.join(HUNT_KEYS)}")
    p.add_argument("--budget", type=float, default=60.0, metavar="SECONDS",
                   help="wall-clock budget in seconds (default 60)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="search seed (default 0)")
    p.add_argument("--popsize", type=int, default=6, metavar="K",
                   help="differential_evolution population: K × (number of parameters) "
                        "(default 6; smaller evolves sooner on a short budget)")
    p.add_argument("--output", "-o", metavar="PATH",
                   help="JSON file for `diffbounds ledger update --from-hunt` "
                        "(default: hunt-KEY-sS.json)")
    p.set_defaults(func=_run)


def _run(args):
    from diffbounds.claims.hunt import hunt, write_hunt
    from diffbounds.claims.ledger import load_ledger

    if args.popsize < 1:
        raise ValueError(f"popsize: must be >= 1, got {args.popsize}")
    res = hunt(args.key, budget=args.budget, seed=args.seed, popsize=args.popsize,
               progress=lambda m: print(m, file=sys.stderr))
    path = args.output or f"hunt-{args.key}-s{args.seed}.json"
    write_hunt(res, path)
    pinned = load_ledger().get(args.key)
    print(f"hunt {args.key}: worst ratio {res['ratio']:.6g} after {res['evaluations']} "
          f"instances in {res['seconds']:.0f} s (budget {args.budget:g} s, seed {args.seed})")
    print(f"  instance: {res['point']}")
    print(f"  pinned constant: {'none' if pinned is None else f'{pinned.constant:.6g}'}"
          + ("" if pinned is None else ("; the hunt needs a LARGER one" if res["ratio"] >
                                        pinned.constant else "; within it")))
    print(f"  wrote {path} (raise with: diffbounds ledger update --from-hunt {path})")
    return 0
