"""Power of the Monte-Carlo estimators in d > 1 against exact product laws (issue 14 §4).

Setting: the sizes of claim ``frontier_w2`` (quick: n = 600 particles, N = 100 steps; full:
n = 2000, N = 400; T = 6; t_stop = min(γ, γ²m₂²/d), ``gupta2024.early_stop``; ε =
min(0.5, Corollary B.6 at C = 1 with δ = ε_score → 0)), on a data law of the collinear
isotropic family (``law_nd``) with the same scale as ``frontier_w2``'s mixture: four equal
components at a·v, a ∈ {−2.4, −0.8, 0.8, 2.4}, variance 0.5, v a fixed random unit vector.
The sampler's exact output law p̂ (``law_nd.output_law``) gives the truth:

- ``closeness_frontier`` (γ*(ε) of p̂'s sample against a q₀ sample, and its null level)
  against the exact bracket [lower, upper] of γ*(ε) between p̂ and q₀;
- ``tv_halfspace_lower_bound`` (statistic and its 95% lower bound) against the exact
  TV(p̂, q_{t_stop});
- ``sliced_w2`` (200 directions) against the exact W2(p̂, q₀).

For each (d, γ, n) and seed: one particle sample of p̂ (``simulators.sample``), independent
samples of q₀; the table reports the mean and SD over seeds of each estimate and its bias
against the exact value. Rows with ``shift`` > 0 add a uniform score error along v, so the
exact frontier, TV and W2 move by a known amount: whether the estimates move with them is the
power. Run: ``python -m benchmarks.estimator_power [--quick]``; writes
``benchmarks/RESULTS_estimator_power.json`` (every row, written after each configuration so a
long run never loses finished rows) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from diffbounds import bounds
from diffbounds.simulators import GaussianMixture, metrics, sample, schedule, uniform_error
from diffbounds.simulators.law_nd import output_law

T_HORIZON = 6.0
POSITIONS = (-2.4, -0.8, 0.8, 2.4)
OUT = Path(__file__).with_name("RESULTS_estimator_power.json")


def mixture_on_a_line(d: int, seed: int = 0) -> GaussianMixture:
    """Four equal isotropic components (variance 0.5) at a·v on a random line through 0."""
    v = np.random.default_rng(seed).standard_normal(d)
    v /= np.linalg.norm(v)
    return GaussianMixture(np.full(4, 0.25), np.outer(POSITIONS, v), np.full(4, 0.5))


def configuration(d: int, gamma: float, n: int, N: int, seeds, shift: float = 0.0) -> dict:
    """One (d, γ, n, N) point; ``shift`` > 0 adds a uniform score error of size shift/σ_t
    along v (``uniform_error``), which moves p̂ away from q₀ by a known, exact excess."""
    mix = mixture_on_a_line(d)
    v = mix.means[-1] / np.linalg.norm(mix.means[-1])
    score = mix if shift == 0.0 else uniform_error(mix, shift, direction=v)
    m2 = math.sqrt(mix.second_moment())
    t_stop = float(bounds.get("gupta2024.early_stop").evaluate(gamma=gamma, m_2=m2, d=d))
    eps = float(min(0.5, bounds.get("gupta2024.corollary_b6").evaluate(
        N=N, T=T_HORIZON, d=d, delta=1e-12, epsilon=1e-12, gamma=t_stop, m_2=m2, C=1.0)))
    times = schedule.exponential(T_HORIZON, t_stop, N)
    law = output_law(score, times)
    q_stop = mix.at(t_stop)
    exact = dict(tv=law.tv_estimate(q_stop).value, w2=law.w2(mix))
    fr = law.closeness_frontier(mix, [eps], atoms=4000)
    exact.update(frontier_lower=float(fr.lower[0]), frontier_upper=float(fr.upper[0]))
    est: dict[str, list[float]] = {k: [] for k in ("frontier", "null", "tv_statistic",
                                                   "tv_lower_bound", "sliced_w2")}
    for s in seeds:
        x = sample(score, n, times, seed=int(s), backend="cpu")
        ref = mix.sample(n, seed=10_000 + int(s))
        null = mix.sample(n, seed=20_000 + int(s))
        cf = metrics.closeness_frontier(x, ref, [eps], y_null=null)
        est["frontier"].append(float(cf.w2[0]))
        est["null"].append(float(cf.null[0]))
        hb = metrics.tv_halfspace_lower_bound(x, q_stop, seed=int(s))
        est["tv_statistic"].append(hb.statistic)
        est["tv_lower_bound"].append(hb.lower_bound)
        est["sliced_w2"].append(metrics.sliced_w2(x, ref, seed=int(s)))
    return dict(d=d, gamma=gamma, n=n, N=N, shift=shift, t_stop=t_stop, eps=eps, m_2=m2,
                exact=exact, estimates=est)


def summary(row: dict) -> dict:
    e, x = row["exact"], {k: np.asarray(v) for k, v in row["estimates"].items()}
    mid = 0.5 * (e["frontier_lower"] + e["frontier_upper"])
    return dict(
        d=row["d"], gamma=row["gamma"], shift=row["shift"], n=row["n"], eps=row["eps"],
        frontier_exact=f"[{e['frontier_lower']:.3f}, {e['frontier_upper']:.3f}]",
        frontier_mc=f"{x['frontier'].mean():.3f} ± {x['frontier'].std(ddof=1):.3f}",
        frontier_bias=x["frontier"].mean() - mid,
        null=f"{x['null'].mean():.3f} ± {x['null'].std(ddof=1):.3f}",
        excess_mc=f"{(x['frontier'] - x['null']).mean():.3f}",
        tv_exact=e["tv"],
        tv_stat=f"{x['tv_statistic'].mean():.3f} ± {x['tv_statistic'].std(ddof=1):.3f}",
        tv_lb=f"{x['tv_lower_bound'].mean():.3f}",
        w2_exact=e["w2"],
        sliced=f"{x['sliced_w2'].mean():.3f} ± {x['sliced_w2'].std(ddof=1):.3f}",
    )


def markdown(rows) -> str:
    cols = ["d", "gamma", "shift", "n", "eps", "frontier_exact", "frontier_mc", "frontier_bias",
            "null", "excess_mc", "tv_exact", "tv_stat", "tv_lb", "w2_exact", "sliced"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        s = summary(r)
        lines.append("| " + " | ".join(
            f"{s[c]:.3g}" if isinstance(s[c], float) else str(s[c]) for c in cols) + " |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 600, N = 100 only")
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 8, 32])
    ap.add_argument("--gammas", type=float, nargs="+", default=[0.1])
    ap.add_argument("--shifts", type=float, nargs="+", default=[0.0, 0.5])
    args = ap.parse_args(argv)
    # (n, N, seeds): the claim's quick and full sizes; fewer seeds where partial OT is dear
    sizes = [(600, 100, 5)] if args.quick else [(600, 100, 5), (2000, 400, 3)]
    rows = json.loads(OUT.read_text()) if OUT.exists() else []
    done = {(r["d"], r["gamma"], r["n"], r["shift"]) for r in rows}
    for n, N, seeds in sizes:
        for d in args.dims:
            for g in args.gammas:
                for shift in args.shifts:
                    if (d, g, n, shift) in done:
                        continue
                    t0 = time.time()
                    rows.append(configuration(d, g, n, N, range(seeds), shift))
                    rows[-1]["seconds"] = time.time() - t0
                    OUT.write_text(json.dumps(rows, indent=1))
                    print(f"d={d} gamma={g} shift={shift} n={n}: "
                          f"{rows[-1]['seconds']:.0f} s", flush=True)
    table = markdown(rows)
    OUT.with_suffix(".md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
