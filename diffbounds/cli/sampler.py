"""``diffbounds sampler check MODULE:CALLABLE|BUILTIN``: measured order of a sampler in N from
exact 1-D laws (``claims.sampler_order``), printed as a table with its verdict; exit 0 holds,
1 fails, 3 inconclusive (``claims.verdict.EXIT_CODES``), 2 usage error."""

from __future__ import annotations

import importlib
import json
import os
import sys


def register(sub):
    p = sub.add_parser("sampler", help="check a sampler's order against exact laws")
    ss = p.add_subparsers(dest="sampler_command", metavar="SUBCOMMAND")
    ss.required = True
    c = ss.add_parser("check", help="measured TV (or W2) order in N and its verdict")
    c.add_argument("sampler", help="a built-in name (exponential_integrator, euler_maruyama, "
                   "pf_euler, pf_heun, ddim, ancestral) or MODULE:CALLABLE returning / being a "
                   "Sampler of the Gaussian-step form")
    c.add_argument("--mixture", metavar="JSON",
                   help="1-D GaussianMixture as JSON (GaussianMixture.to_json) or a path to it; "
                        "default: the bimodal mixture of the propagation claims")
    c.add_argument("--expected", type=float, default=None,
                   help="expected order p (two-sided); default: one-sided vs Lemma B.4's ½")
    c.add_argument("--metric", choices=("tv", "w2"), default="tv")
    c.add_argument("--N", type=int, nargs="+", default=None, metavar="N",
                   help="step counts (default 20 40 80 160 320)")
    c.add_argument("--json", metavar="PATH", help="write the result as JSON")
    c.set_defaults(func=_check)


def resolve(spec: str):
    """A built-in name, or ``MODULE:ATTR`` (a Sampler instance, class or factory)."""
    from diffbounds.simulators import samplers

    if spec in samplers.BUILTINS:
        return spec
    if ":" not in spec:
        raise ValueError(f"sampler: {spec!r} is neither a built-in {sorted(samplers.BUILTINS)} "
                         "nor MODULE:CALLABLE")
    mod, _, attr = spec.partition(":")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like `python -m` and pytest: modules of the cwd import
    try:
        obj = importlib.import_module(mod)
    except ImportError as exc:
        raise ValueError(f"sampler: cannot import {mod!r} ({exc})") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"sampler: {mod!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if isinstance(obj, type) or (callable(obj) and not hasattr(obj, "mean_map")
                                 and _is_factory(obj)):
        obj = obj()
    return obj


def _is_factory(fn) -> bool:
    import inspect

    try:
        return not any(p.default is inspect.Parameter.empty and
                       p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                       for p in inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False


def _mixture(arg):
    if arg is None:
        return None
    from pathlib import Path

    from diffbounds.simulators import GaussianMixture

    if arg.lstrip().startswith("{"):
        text = arg
    else:
        try:
            text = Path(arg).read_text()
        except OSError as exc:
            raise ValueError(f"mixture: cannot read {arg!r} ({exc.strerror or exc})") from None
    try:
        mix = GaussianMixture.from_json(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"mixture: {exc}") from None
    if mix.dim != 1:
        raise ValueError(f"mixture: `sampler check` measures exact 1-D laws; got a mixture in "
                         f"d = {mix.dim} (use diffbounds.claims.sampler_order in Python for the "
                         "Monte-Carlo check in d > 1)")
    return mix


def _check(args) -> int:
    from diffbounds.claims.sampler_order import DEFAULT_N_GRID, sampler_order
    from diffbounds.claims.verdict import EXIT_CODES

    sampler = resolve(args.sampler)
    r = sampler_order(sampler, _mixture(args.mixture), None, args.N or DEFAULT_N_GRID,
                      args.metric, expected=args.expected)
    print(f"sampler {r.sampler}: {r.metric.upper()} to q_t_stop over N (exact 1-D laws)")
    print(f"{'N':>6}  {r.metric:>12}  {'uncertainty':>12}  {'in fit':>6}")
    in_fit = r.in_fit if r.in_fit is not None else [True] * len(r.N)
    for n, d, u, f in zip(r.N, r.distance, r.uncertainty, in_fit, strict=True):
        print(f"{int(n):>6}  {d:>12.4e}  {u:>12.2e}  {'yes' if f else 'no':>6}")
    target = ("≥ ½ (Lemma B.4, one-sided)" if r.expected is None
              else f"{r.expected:g} (two-sided)")
    print(f"order {r.order:.3f} ± {r.order_half_width:.3f} (95%), expected {target}: "
          f"{r.state.upper()}")
    for c in r.checks:
        print(f"  {c.name}: {c.state}" + (f" — {c.reason}" if c.reason else ""))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(r.to_dict(), fh, indent=2)
    sys.stdout.flush()
    return EXIT_CODES[r.state]
