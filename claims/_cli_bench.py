"""``diffbounds bench``: the sampler benchmark (benchmarks/sampler.py)."""

from __future__ import annotations


def register(sub):
    p = sub.add_parser("bench", help="time the standard sampler workload on every backend")
    p.add_argument("--json", metavar="PATH", help="write the report as JSON")
    p.add_argument("--n", type=int, default=None, help="particles (default 20000)")
    p.add_argument("--steps", type=int, default=None, help="steps (default 200)")
    p.add_argument("--repeats", type=int, default=3, help="timed calls per backend (median)")
    p.add_argument("--backends", nargs="+", choices=["numpy", "cpu", "cuda"], default=None)
    p.add_argument("--cuda-n", type=int, default=10_000_000, help="particles on CUDA")
    p.set_defaults(func=_run)


def _run(args):
    from benchmarks.sampler import format_table, run, write_json

    print("diffbounds bench: standard workload (n particles, d=8, K=8, exponential schedule)")
    report = run(n=args.n, n_steps=args.steps, repeats=args.repeats, backends=args.backends,
                 cuda_n=args.cuda_n)
    print(format_table(report))
    if args.json:
        write_json(report, args.json)
        print(f"wrote {args.json}")
    return 0
