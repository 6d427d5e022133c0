"""Claim ``lemma_4_2``: Lemma 4.2: empirical vs population L² error of p̂'s score under p* = N(0, σ²).

Measure per grid point, grid and verdict; registered in ``claims.registry``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import special, stats

from diffbounds import bounds
from diffbounds.bounds import instances
from diffbounds.claims._claim import Claim, choice, claim_seed, integer, positive
from diffbounds.claims._training_common import (
    _CHUNK,
    _L42_TAG,
    _check_count,
    _check_pos,
    _column,
    clopper_pearson,
    two_sided_slope,
)
from diffbounds.claims.verdict import (
    ROUNDOFF,
    ClaimRecord,
    grid_boundary,
)

LEMMA42_DOC = """Lemma 4.2: empirical vs population L² error of p̂'s score under p* = N(0, σ²).

p̂ = ηN(0, σ²) + (1−η)N(S, σ²) with η fixed by ŝ(x₀) = 0 (Figure 2 caption), so
ŝ − s* = w(x)S/σ², w = expit(log(x₀/(S−x₀)) + S(x − x₀)/σ²) (``bounds.instances``).
The crossover x₀ is a parameter (``crossover``): "tail" x₀ = σΦ̄⁻¹(1/m) = σ√(2 log m)(1 − o(1)),
the precise form of x₀ ≈ σ√(2 log m); "sqrt2logm" x₀ = σ√(2 log m); "literal" x₀ = 10σ√log m
as printed. Measured: the population error E_{p*}‖ŝ − s*‖² by quadrature (log scale; it
underflows for the literal x₀), and over ``n_seeds`` draws of m samples of p* the empirical
error (1/m)Σ‖ŝ(x_i) − s*(x_i)‖² and the fraction of draws where it is < 1% of the population
error (the data "hide" the error). Verdict, on the "tail" points: population ≥ c·S²/(mσ⁴)
(``gupta2024.lemma_4_2_claim``, a lower bound) with c the largest constant on the grid
boundary and held out on the interior (worst ratio = max c·bound/population ≤ 1); slopes in
S, m, σ two-sided against the claim's exponents (2, −1, −4) with tolerance 0.1 (the
O(σ²/(S x₀)) corrections of the sigmoid); and the population error within a factor 2 of the
leading-order form S²Φ̄(x₀/σ)/σ⁴ (``gupta2024.lemma_4_2``; measured ratios 0.59–0.92 on the
quick grid: w(x₀) = x₀/S, not ½, so the sigmoid's midpoint sits σ²log((S−x₀)/x₀)/S to the
right of x₀ and the form is reached only as S/σ → ∞). Reported, not judged: what the
literal x₀ gives (population ≈ S²m^{−50}: the claimed S²/(mσ⁴) fails by ~100 orders of
magnitude) and the hidden fraction against P[max x_i < x₀] = Φ(x₀/σ)^m: with x₀ ≈ σ√(2 log m)
it is a constant (≈ e^{−1}), not 1 − 1/poly(m) as the lemma states — the two halves of the
lemma need different crossovers (paper-notes §6.2)."""

CROSSOVERS = ("tail", "sqrt2logm", "literal")


def crossover_point(rule, m, sigma):
    """x₀ for the Lemma 4.2 construction (see LEMMA42_DOC)."""
    if rule == "tail":
        return float(sigma * stats.norm.isf(1.0 / m))
    if rule == "sqrt2logm":
        return float(sigma * math.sqrt(2.0 * math.log(m)))
    if rule == "literal":
        return float(10.0 * sigma * math.sqrt(math.log(m)))
    raise ValueError(f"crossover: must be one of {CROSSOVERS}, got {rule!r}")


def _lemma42_measure(S, sigma, m, crossover, n_seeds, seed):
    S, sigma = _check_pos("S", S), _check_pos("sigma", sigma)
    m, n = _check_count("m", m, 2), _check_count("n_seeds", n_seeds)
    x0 = crossover_point(crossover, m, sigma)
    if not S > x0:
        raise ValueError(f"S: needs S > x_0 = {x0:.4g} (crossover {crossover!r}, m = {m})")
    log_pop = instances.lemma_4_2_log_l2_error(S, sigma, x0)
    log_lead = (2 * math.log(S) - 4 * math.log(sigma)
                + float(special.log_ndtr(-x0 / sigma)))
    gen = np.random.default_rng([_check_count("seed", seed, 0), m, _L42_TAG])
    emp = np.empty(n)
    chunk = max(1, _CHUNK // m)
    for s0 in range(0, n, chunk):
        b = min(chunk, n - s0)
        x = sigma * gen.standard_normal((b, m))
        emp[s0:s0 + b] = np.square(instances.lemma_4_2_score_gap(x, S, sigma, x0)).mean(axis=1)
    with np.errstate(divide="ignore"):
        log_emp = np.log(emp)
    hidden = int(np.sum(log_emp < log_pop + math.log(0.01)))
    return dict(x0=x0, log_population=log_pop, log_leading_order=log_lead,
                population=math.exp(log_pop), log_claim=2 * math.log(S) - math.log(m)
                - 4 * math.log(sigma), median_log_empirical=float(np.median(log_emp)),
                hidden=hidden, n_seeds=n,
                log_p_all_below=m * float(special.log_ndtr(x0 / sigma)))


def _lemma42_grid(quick):
    Ss, ms = ([20.0, 40.0, 80.0], [100, 1000, 10000]) if quick else \
        ([10.0, 20.0, 40.0, 80.0, 160.0], [30, 100, 1000, 10000, 100000])
    sigmas = [0.5, 1.0, 2.0] if quick else [0.25, 0.5, 1.0, 2.0, 4.0]
    def n(m):  # seeds x m capped at 2e7 normals per point in the full grid
        return 200 if quick else max(100, min(2000, 20_000_000 // m))

    # The construction needs S > x₀ ("S sufficiently large"): drop the full grid's corners where
    # the tail crossover σΦ̄⁻¹(1/m) reaches S (S = 10, σ = 4, m ≥ 10⁴).
    pts = [dict(S=S, m=m, sigma=sg, crossover="tail", n_seeds=n(m))
           for S, m, sg in itertools.product(Ss, ms, sigmas)
           if S > crossover_point("tail", m, sg)]
    for rule in ("sqrt2logm", "literal"):
        pts += [dict(S=200.0, m=m, sigma=1.0, crossover=rule, n_seeds=n(m)) for m in ms]
    return pts


def _lemma42_verdict(points, rows):
    claim, lead = bounds.get("gupta2024.lemma_4_2_claim"), bounds.get("gupta2024.lemma_4_2")
    rule = np.array([p["crossover"] for p in points])
    tail = rule == "tail"
    if tail.sum() < 8:
        raise ValueError("points: lemma_4_2 needs a grid of 'tail' crossover points")
    S, m, sg = (_column(points, k)[tail] for k in ("S", "m", "sigma"))
    t_rows = [r for r, k in zip(rows, tail, strict=True) if k]
    log_pop = _column(t_rows, "log_population")
    pop = np.exp(log_pop)
    bound = np.asarray(claim.evaluate(S=S, m=m, sigma=sg, C=1.0), float)
    calib = grid_boundary(S, m, sg)
    c = float(np.min(pop[calib] / bound[calib]))
    worst = float(np.max(c * bound[~calib] / pop[~calib]))
    slopes = []
    for name, col in (("S", S), ("m", m), ("sigma", sg)):
        sel = np.ones(S.size, bool)
        for o in (S, m, sg):
            if o is not col:
                sel &= o == np.median(o)
        slopes.append(two_sided_slope(name, col[sel], pop[sel], claim.exponent(name), 0.1))
    lead_ratio = np.exp(log_pop - _column(t_rows, "log_leading_order"))
    lead_ok = bool(np.all((lead_ratio >= 0.5) & (lead_ratio <= 2.0)))
    hidden = _column(rows, "hidden")
    n = _column(rows, "n_seeds")
    lo, hi = clopper_pearson(hidden, n, 0.99)
    report = {}
    for r in ("sqrt2logm", "literal"):
        sel = rule == r
        if sel.any():
            rr = [row for row, k in zip(rows, sel, strict=True) if k]
            report[r] = dict(
                m=_column(points, "m")[sel], x0=_column(rr, "x0"),
                log10_population=_column(rr, "log_population") / math.log(10),
                log10_claim=_column(rr, "log_claim") / math.log(10),
                population_over_claim_log10=(_column(rr, "log_population")
                                             - _column(rr, "log_claim")) / math.log(10),
                hidden_fraction=hidden[sel] / n[sel],
                p_all_below=np.exp(_column(rr, "log_p_all_below")))
    return ClaimRecord(
        name="lemma_4_2", statements=[claim.key, lead.key],
        params=dict(S=S, m=m, sigma=sg, crossover="tail", x0=_column(t_rows, "x0"),
                    calibration=calib, n_seeds=n[tail]),
        predicted=c * bound, measured=pop, ratio=pop / (c * bound),
        holds=bool(worst <= 1.0 + ROUNDOFF and lead_ok and all(s.holds for s in slopes)),
        fitted_constant=c, held_out_worst_ratio=worst, slopes=slopes,
        details=dict(
            kind="lower bound: population >= c * S^2/(m sigma^4) at x0 = sigma*isf(1/m)",
            leading_order_ratio=lead_ratio, leading_order_within_factor_2=lead_ok,
            hidden_fraction_tail=hidden[tail] / n[tail],
            hidden_interval_99=dict(lower=lo[tail], upper=hi[tail]),
            p_all_below_tail=np.exp(_column(t_rows, "log_p_all_below")),
            median_log10_empirical_tail=_column(t_rows, "median_log_empirical") / math.log(10),
            other_crossovers=report))


LEMMA_4_2_SPECS = dict(S=positive(), sigma=positive(), m=integer(2), crossover=choice(*CROSSOVERS),
                       n_seeds=integer(1), seed=claim_seed())
LEMMA_4_2 = Claim(
    "lemma_4_2", ("gupta2024.lemma_4_2_claim", "gupta2024.lemma_4_2"),
    dict(S=40.0, sigma=1.0, m=1000, crossover="tail", n_seeds=200, seed=5),
    _lemma42_measure, _lemma42_grid, _lemma42_verdict, LEMMA42_DOC,
    parameter_specs=LEMMA_4_2_SPECS)

CLAIM = LEMMA_4_2
