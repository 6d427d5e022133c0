"""Wall time per trained model for each hypothesis class (issue 5 §4); a benchmark, not a test.

Workload: m = 10⁴ data points in d = 2 from a 2-component isotropic mixture (seed 0), N = 10
training times of an exponential schedule from T = 3 to t_stop = 0.01 (times[:-1]). Classes:

* finite: 16 mixture candidates (the truth and 15 perturbed copies), exact ERM by enumeration;
* mixture: K = 2, isotropic and diagonal, 4 restarts, sequential and lockstep (``vectorize``);
* relu: depth 3, width 32 (P = 1218), 500 full-batch Adam steps, float32 and float64, CPU
  (and CUDA when torch sees one).

Seconds per model = wall time of one fit / N (one fit trains all N times). Run:
``python -m diffbounds.benchmarks.training [--json PATH]``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import time

import numpy as np

from diffbounds.simulators import GaussianMixture, schedule
from diffbounds.simulators.training import denoising_data, fit_finite, fit_mixture, fit_relu

WORKLOAD = dict(m=10_000, dim=2, n_times=10, T=3.0, t_stop=0.01, seed=0)
TRUTH = GaussianMixture([0.3, 0.7], [[-2.0, 0.0], [1.5, 1.0]], [0.5, 0.2])


def _time(fn, repeats=1):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run(*, m=None, n_times=None, relu_steps=500, progress=print):
    w = dict(WORKLOAD)
    if m is not None:
        w["m"] = int(m)
    if n_times is not None:
        w["n_times"] = int(n_times)
    x0 = TRUTH.sample(w["m"], w["seed"])
    times = schedule.exponential(w["T"], w["t_stop"], w["n_times"])[:-1]
    N = times.size
    gen = np.random.default_rng(1)
    cands = [TRUTH] + [GaussianMixture(TRUTH.weights, TRUTH.means + 0.3 * gen.standard_normal(
        TRUTH.means.shape), TRUTH.variances) for _ in range(15)]
    plan = [
        ("denoising_data", {}, lambda: denoising_data(x0, times, 1)),
        ("finite", {"candidates": 16}, lambda: fit_finite(cands, x0, times, 1)),
    ]
    for cov in ("isotropic", "diagonal"):
        for vec in (False, True):
            plan.append(("mixture", {"K": 2, "cov_type": cov, "restarts": 4, "vectorize": vec},
                         lambda cov=cov, vec=vec: fit_mixture(x0, times, 2, cov_type=cov,
                                                              restarts=4, seed=1,
                                                              vectorize=vec)))
    try:
        import torch

        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    except ImportError:
        devices = []
    for dev in devices:
        for dt in ("float32", "float64"):
            plan.append(("relu", {"depth": 3, "width": 32, "steps": relu_steps, "device": dev,
                                  "dtype": dt},
                         lambda dev=dev, dt=dt: fit_relu(x0, times, 3, 32, 10.0,
                                                         steps=relu_steps, lr=1e-2, seed=1,
                                                         device=dev, dtype=dt)))
    results = []
    for name, cfg, fn in plan:
        secs = _time(fn)
        results.append(dict(cls=name, **cfg, seconds=secs, seconds_per_model=secs / N))
        if progress:
            progress(f"  {name:15s} {json.dumps(cfg):90s} {secs:8.2f} s  "
                     f"{secs / N:8.3f} s/model")
    return {"workload": w, "n_models": N, "results": results,
            "machine": {"platform": platform.platform(), "python": platform.python_version()},
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write the report to this path")
    ap.add_argument("--m", type=int)
    ap.add_argument("--n-times", type=int)
    ap.add_argument("--relu-steps", type=int, default=500)
    args = ap.parse_args(argv)
    report = run(m=args.m, n_times=args.n_times, relu_steps=args.relu_steps)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
