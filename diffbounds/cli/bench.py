"""``diffbounds bench``: the benchmarks (benchmarks/sampler.py, benchmarks/training.py)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="time the standard sampler (or training) workload")
    p.add_argument("--suite", choices=["sampler", "training"], default="sampler",
                   help="sampler: backends on the standard workload (default); training: wall "
                        "time per trained model for each hypothesis class")
    p.add_argument("--json", metavar="PATH", help="write the report as JSON")
    p.add_argument("--n", type=int, default=None,
                   help="particles (sampler, default 20000) or data points m (training, 10^4)")
    p.add_argument("--steps", type=int, default=None,
                   help="sampler steps (default 200) or training times (default 10)")
    p.add_argument("--repeats", type=int, default=3, help="timed calls per backend (median)")
    p.add_argument("--backends", nargs="+", choices=["numpy", "cpu", "cuda"], default=None)
    p.add_argument("--cuda-n", type=int, default=10_000_000, help="particles on CUDA")
    p.add_argument("--skip", nargs="+", default=[],
                   choices=["jax", "startup", "law", "verify", "families", "samplers", "memory"],
                   help="sampler suite: leave out these rows (the JAX-jit step, cold/warm "
                        "start, output_law on the README example, verify --quick, each score "
                        "family's CPU/NumPy speed, each built-in sampler compiled and the "
                        "Python-step paths, peak memory of 10^6 particles)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import json

    from diffbounds.cli._paths import check_output_file

    check_output_file("json", args.json)
    if args.backends and "cuda" in args.backends:
        from diffbounds.simulators.kernels import get_backend

        try:
            get_backend("cuda")  # the library's own one-line message when there is no GPU
        except (RuntimeError, ImportError) as exc:
            raise ValueError(str(exc).splitlines()[0] if str(exc) else
                             "backend='cuda': unavailable") from None

    if args.suite == "training":
        from diffbounds.benchmarks import training

        print("diffbounds bench --suite training: seconds per trained model (m, d=2)")
        report = training.run(m=args.n, n_times=args.steps)
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(report, fh, indent=2)
            print(f"wrote {args.json}")
        return 0

    from diffbounds.benchmarks.sampler import format_table, run, write_json

    print("diffbounds bench: standard workload (n particles, d=8, K=8, exponential schedule)")
    from diffbounds.benchmarks.sampler import EXTRAS

    report = run(n=args.n, n_steps=args.steps, repeats=args.repeats, backends=args.backends,
                 cuda_n=args.cuda_n, extras=[e for e in EXTRAS if e not in args.skip])
    print(format_table(report))
    if args.json:
        write_json(report, args.json)
        print(f"wrote {args.json}")
    return 0
