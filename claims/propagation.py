"""Claims of issue 4: how a (1 − δ)-quantile score error propagates into TV and W2 error.

Each claim couples statements of ``bounds`` with a measurement from ``simulators`` (one grid
point at a time, see ``claims._claim``) and a verdict (``claims.verdict``). One-dimensional
claims use exact grid laws (``simulators.law1d``); their method error is estimated by recomputing
at twice the lattice spacing and reported as the measurement's uncertainty.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import sympy as sp

import bounds
from claims._claim import Claim
from claims.verdict import (
    K_SIGMA,
    ClaimRecord,
    fit_constant,
    fit_term_constants,
    grid_boundary,
    held_out_check,
    slope_check,
    worst_held_out_index,
)
from simulators import GaussianMixture, metrics, perturbed_score, sample, schedule
from simulators.law1d import output_law

# The 1-D data law of the propagation claims: two well-separated components.
MIXTURE_1D = GaussianMixture([0.5, 0.5], [[-2.0], [1.5]], [0.25, 0.5])
T_HORIZON = 6.0
T_STOP = 1e-2


# ---------------------------------------------------------------------------- helpers
def tv_between(a, b):
    """Discrete TV ½ Σ |P_a(cell) − P_b(cell)| on the union of both laws' cell edges (a lower
    bound on TV between the two reconstructed densities), plus half their lost mass."""
    edges = np.union1d(a.edges, b.edges)
    return 0.5 * float(np.abs(np.diff(a.cdf(edges)) - np.diff(b.cdf(edges))).sum()) + 0.5 * (
        a.lost_mass + b.lost_mass)


def _laws(score, times, spacing):
    """(law at spacing Δ, law at 2Δ): the second estimates the method error."""
    return (output_law(score, times, grid={"spacing": spacing}),
            output_law(score, times, grid={"spacing": 2 * spacing}))


def _tv_and_error(score, times, spacing, target):
    fine, coarse = _laws(score, times, spacing)
    tv = fine.tv(target)
    return tv, abs(tv - coarse.tv(target)) + fine.lost_mass, fine


def bound_terms(statement, **values):
    """The additive terms B_i of a bound (constants set to 1), evaluated: (array (r, n), names)."""
    body = sp.expand(statement.expr.subs({c: 1 for c in statement.constants}))
    terms = sp.Add.make_args(body)
    syms = sorted(body.free_symbols, key=str)
    n = max(np.size(v) for v in values.values())
    vals = [np.asarray(values[str(s)], float) for s in syms]
    out = [np.broadcast_to(np.asarray(sp.lambdify(syms, t, "numpy")(*vals), float), (n,))
           for t in terms]
    return np.array(out), [str(t) for t in terms]


def term_exponent(statement, symbol):
    """Exponent of ``symbol`` in the sum of the bound's additive terms that contain it."""
    sym = bounds.symbols.as_symbol(symbol)
    body = sp.expand(statement.expr.subs({c: 1 for c in statement.constants}))
    return float(bounds.exponent(sp.Add(*[a for a in sp.Add.make_args(body)
                                          if sym in a.free_symbols]), symbol))


def fit_terms(measured, terms, calibration, uncertainty=0.0):
    """Per-term constants, prediction Σ C_i B_i, max C_i, held-out verdict and worst ratio."""
    consts = fit_term_constants(measured, terms, calibration)
    predicted = consts @ terms
    ok, worst = held_out_check(measured, predicted, calibration, 1.0, uncertainty)
    return consts, predicted, float(consts.max()), ok, worst


def _m2(mixture):
    return float(np.sqrt(mixture.second_moment()))


def _column(rows, key):
    return np.array([r[key] for r in rows], dtype=float)


def _worst_point(points, measured, predicted, calibration, unc=0.0):
    return points[worst_held_out_index(measured, predicted, calibration, unc)]


# ---------------------------------------------------------------------------- propagation_tv
PROPAGATION_DOC = """TV(p̂, q_{t_stop}) from exact 1-D laws vs Corollary B.6 over (eps, δ, N).

Score: exact mixture score plus a half-space error (adversarial direction, ``bad_magnitude`` 20)
of per-step quantile level δ_step; Lemma 1.3's hypothesis D^{δ/N} makes the bound's δ equal to
N·δ_step. Calibration: the grid's boundary; held out: its interior (``claims.verdict``).
Rates: the TV between the perturbed and the exact-score chains vs eps (largest N, smallest
δ) against the exponent of B.6's ε-term; the exact-score TV vs N against the exponent of its
discretization term."""


@functools.lru_cache(maxsize=64)
def _exact_score_law(N, spacing):
    """(TV, uncertainty, law) of the exact-score chain; shared by the points with the same N."""
    return _tv_and_error(MIXTURE_1D, schedule.exponential(T_HORIZON, T_STOP, N), spacing,
                         MIXTURE_1D.at(T_STOP))


def _propagation_measure(eps, delta_step, N, bad_magnitude, spacing):
    mix = MIXTURE_1D
    times = schedule.exponential(T_HORIZON, T_STOP, int(N))
    target = mix.at(T_STOP)
    ps = perturbed_score(mix, eps=eps, delta=delta_step, bad_magnitude=bad_magnitude)
    tv, unc, law = _tv_and_error(ps, times, spacing, target)
    tv_exact, _, exact = _exact_score_law(int(N), float(spacing))
    return dict(tv=tv, uncertainty=unc, tv_exact_score=tv_exact,
                tv_to_exact_chain=tv_between(law, exact))


def _propagation_grid(quick):
    eps = [0.05, 0.1, 0.2] if quick else [0.025, 0.05, 0.1, 0.2, 0.4]
    delta = [1e-4, 1e-3] if quick else [1e-5, 1e-4, 1e-3]
    ns = [25, 50, 100] if quick else [25, 50, 100, 200, 400]
    spacing = 0.05 if quick else 0.02
    return [dict(eps=e, delta_step=dl, N=n, spacing=spacing)
            for e, dl, n in itertools.product(eps, delta, ns)]


def _propagation_verdict(points, rows):
    stmt = bounds.get("gupta2024.corollary_b6")
    m2 = _m2(MIXTURE_1D)
    eps, n, delta = (_column(points, k) for k in ("eps", "N", "delta_step"))
    measured, unc = _column(rows, "tv"), _column(rows, "uncertainty")
    terms, names = bound_terms(stmt, N=n, T=T_HORIZON, d=1, delta=n * delta, epsilon=eps,
                               gamma=T_STOP, m_2=m2)
    calibration = grid_boundary(eps, n, delta)
    consts, predicted, C, ok, worst = fit_terms(measured, terms, calibration, unc)
    sel = (n == n.max()) & (delta == delta.min())
    slopes = [slope_check("epsilon", eps[sel], _column(rows, "tv_to_exact_chain")[sel],
                          term_exponent(stmt, "epsilon"), "to_zero")]
    first = (eps == eps.min()) & (delta == delta.min())
    slopes.append(slope_check("N", n[first], _column(rows, "tv_exact_score")[first],
                              term_exponent(stmt, "N"), "to_infinity"))
    return ClaimRecord(
        name="propagation_tv", statements=[stmt.key],
        params=dict(eps=eps, delta_step=delta, N=n, T=T_HORIZON, t_stop=T_STOP, d=1, m_2=m2,
                    bad_magnitude=points[0]["bad_magnitude"], region="halfspace",
                    direction="adversarial", mixture=MIXTURE_1D.to_dict(),
                    calibration=calibration),
        predicted=predicted, measured=measured, ratio=measured / predicted,
        holds=bool(ok and all(s.holds for s in slopes)), fitted_constant=C, uncertainty=unc,
        held_out_worst_ratio=worst, slopes=slopes,
        details=dict(term_constants=dict(zip(names, consts, strict=True)),
                     worst_held_out_point=_worst_point(points, measured, predicted,
                                                       calibration, unc),
                     tv_exact_score=_column(rows, "tv_exact_score"),
                     tv_to_exact_chain=_column(rows, "tv_to_exact_chain")))


PROPAGATION_TV = Claim(
    "propagation_tv", ("gupta2024.corollary_b6",),
    dict(eps=0.1, delta_step=1e-3, N=50, bad_magnitude=20.0, spacing=0.05),
    _propagation_measure, _propagation_grid, _propagation_verdict, PROPAGATION_DOC)


# ---------------------------------------------------------------------------- l2 vs quantile
L2_DOC = """Same quantile error, L² error over orders of magnitude: TV stays within B.6.

Half-space errors with fixed eps = 0.05, δ_step = 1e-3, N = 50 and bad_magnitude 1 → 10⁴: the
L² error E‖ŝ − s‖² grows by up to 8 orders of magnitude while D^δ stays eps/σ_t. The measured TV
must stay within Corollary B.6 — which does not see bad_magnitude — with the constant fitted on
the smallest and largest magnitudes (calibration) at the ones between (held out); it must be
flat at the top (between the two largest magnitudes it moves by < 1% + the method error while
the L² error grows by their ratio squared), while Benton et al.'s L²-based guarantee,
TV ≤ √(KL/2) with KL ≲ ε_score² + … and ε_score² = Σ_k h_k E_{q_{t_k}}‖ŝ − s‖² (the exact L²
error of the model; constant 1), becomes vacuous (≥ 1) at the largest magnitude."""


def _l2_measure(bad_magnitude, eps, delta_step, N, spacing):
    mix = MIXTURE_1D
    times = schedule.exponential(T_HORIZON, T_STOP, int(N))
    ps = perturbed_score(mix, eps=eps, delta=delta_step, bad_magnitude=bad_magnitude)
    tv, unc, _ = _tv_and_error(ps, times, spacing, mix.at(T_STOP))
    h = -np.diff(times)
    eps_score2 = float(sum(hk * ps.l2_error(float(t))
                           for hk, t in zip(h, times[:-1], strict=True)))
    return dict(tv=tv, uncertainty=unc, l2_error_integrated=eps_score2,
                kappa=float(schedule.step_size_kappa(times)))


def _l2_grid(quick):
    mags = [1.0, 30.0, 1e3] if quick else [1.0, 10.0, 30.0, 100.0, 1e3, 1e4]
    return [dict(bad_magnitude=m, spacing=0.05 if quick else 0.02) for m in mags]


def _l2_verdict(points, rows):
    stmt, benton = bounds.get("gupta2024.corollary_b6"), bounds.get("benton2024.kl")
    m2 = _m2(MIXTURE_1D)
    mags = _column(points, "bad_magnitude")
    p0 = points[0]
    measured, unc = _column(rows, "tv"), _column(rows, "uncertainty")
    eps_score2 = _column(rows, "l2_error_integrated")
    bound = np.full(len(points), stmt.evaluate(
        N=p0["N"], T=T_HORIZON, d=1, delta=p0["N"] * p0["delta_step"], epsilon=p0["eps"],
        gamma=T_STOP, m_2=m2, C=1.0))
    calibration = grid_boundary(mags)
    C = fit_constant(measured, bound, calibration)
    ok, worst = held_out_check(measured, bound, calibration, C, unc)
    # Flatness: between the two largest magnitudes the L² error grows by their ratio squared,
    # but TV must not move by more than 1% (+ the method error): an L²-driven TV would grow.
    order = np.argsort(mags)
    hi, lo = order[-1], order[-2]
    tv_change = float(abs(measured[hi] - measured[lo]))
    flat = bool(tv_change <= 0.01 * measured[hi] + K_SIGMA * (unc[hi] + unc[lo]))
    kl = benton.evaluate(N=p0["N"], T=T_HORIZON, d=1, epsilon_score=np.sqrt(eps_score2),
                         kappa=_column(rows, "kappa"), C=1.0)
    benton_tv = np.sqrt(kl / 2.0)
    vacuous = bool(benton_tv[np.argmax(mags)] >= 1.0)
    return ClaimRecord(
        name="l2_versus_quantile", statements=[stmt.key, benton.key],
        params=dict(bad_magnitude=mags, eps=p0["eps"], delta_step=p0["delta_step"],
                    N=p0["N"], T=T_HORIZON, t_stop=T_STOP, calibration=calibration),
        predicted=C * bound, measured=measured, ratio=measured / (C * bound),
        holds=bool(ok and vacuous and flat), fitted_constant=C, uncertainty=unc,
        held_out_worst_ratio=worst,
        details=dict(l2_error_integrated=eps_score2, benton_tv_bound=benton_tv,
                     benton_vacuous_at_largest=vacuous, tv_flat_at_largest=flat,
                     tv_change_at_largest=tv_change,
                     l2_growth_at_largest=float(eps_score2[hi] / eps_score2[lo]),
                     l2_growth=float(eps_score2.max() / eps_score2.min())))


L2_VERSUS_QUANTILE = Claim(
    "l2_versus_quantile", ("gupta2024.corollary_b6", "benton2024.kl"),
    dict(bad_magnitude=100.0, eps=0.05, delta_step=1e-3, N=50, spacing=0.05),
    _l2_measure, _l2_grid, _l2_verdict, L2_DOC)


# ---------------------------------------------------------------------------- discretization
DISC_DOC = """Exact score: TV(p̂_N, q_{t_stop}) vs N against Lemma B.4, √(d/N)(T + log 1/γ).

The start-up term (√d + m₂)e^{−T} of B.6 is kept below 1e-3 by T = 8. Calibration: the
smallest and largest N; held out: the others; slope in N against −½ (towards N → ∞)."""


def _disc_measure(N, T, spacing):
    mix = MIXTURE_1D
    tv, unc, _ = _tv_and_error(mix, schedule.exponential(T, T_STOP, int(N)), spacing,
                               mix.at(T_STOP))
    return dict(tv=tv, uncertainty=unc)


def _disc_grid(quick):
    ns = [20, 40, 80, 160] if quick else [20, 40, 80, 160, 320, 640]
    return [dict(N=n, spacing=0.05 if quick else 0.02) for n in ns]


def _disc_verdict(points, rows):
    stmt = bounds.get("gupta2024.lemma_b4")
    n, T = _column(points, "N"), points[0]["T"]
    measured, unc = _column(rows, "tv"), _column(rows, "uncertainty")
    bound = stmt.evaluate(N=n, T=T, d=1, gamma=T_STOP, C=1.0)
    calibration = grid_boundary(n)
    C = fit_constant(measured, bound, calibration)
    ok, worst = held_out_check(measured, bound, calibration, C, unc)
    slope = slope_check("N", n, measured, float(bounds.exponent(stmt.expr, "N")), "to_infinity")
    return ClaimRecord(
        name="discretization", statements=[stmt.key],
        params=dict(N=n, T=T, t_stop=T_STOP, d=1, calibration=calibration),
        predicted=C * bound, measured=measured, ratio=measured / (C * bound),
        holds=bool(ok and slope.holds), fitted_constant=C, uncertainty=unc,
        held_out_worst_ratio=worst, slopes=[slope])


DISCRETIZATION = Claim(
    "discretization", ("gupta2024.lemma_b4",), dict(N=50, T=8.0, spacing=0.05),
    _disc_measure, _disc_grid, _disc_verdict, DISC_DOC)


# ---------------------------------------------------------------------------- frontier_w2
FRONTIER_DOC = """Closeness frontier γ*(ε) of sampler output vs q₀ against γ·m₂ (early stopping).

For d = 2, 8, 32 and several γ: t_stop = min(γ, γ²m₂²/d) (``gupta2024.early_stop``), exact score,
N steps; ε is the TV bound of Corollary B.6 for the exact score (δ, ε_score → 0, C = 1), capped
at 0.5. Measured: the smallest W2 between q₀'s sample and any law within TV ε of the sampler's
empirical law (partial OT), minus the null level (the same between two samples of q₀), floored
at 0; its uncertainty is the difference of two independent null levels. Predicted:
C·(√(d t_stop) + m₂ t_stop) (``gupta2024.early_stop_w2``, ≲ γ m₂). Calibration:
the smallest and largest γ; held out: the others. In d = 32 the finite-sample W2 is dominated by
the null level, so the verdict there has little power (the record reports both)."""


def mixture_in(d, seed=0):
    """The d-dimensional data law of ``frontier_w2``: 4 isotropic components, E‖x‖² = O(1)·d."""
    r = np.random.default_rng(seed)
    means = 2.0 * r.standard_normal((4, d)) / np.sqrt(d) * np.sqrt(2.0)
    return GaussianMixture(np.full(4, 0.25), means, np.full(4, 0.5))


def _frontier_measure(d, gamma, n, N, seed):
    d, n, N = int(d), int(n), int(N)
    mix = mixture_in(d)
    m2 = _m2(mix)
    t_stop = float(bounds.get("gupta2024.early_stop").evaluate(gamma=gamma, m_2=m2, d=d))
    times = schedule.exponential(T_HORIZON, t_stop, N)
    x = sample(mix, n, times, seed=int(seed))
    eps = float(min(0.5, bounds.get("gupta2024.corollary_b6").evaluate(
        N=N, T=T_HORIZON, d=d, delta=1e-12, epsilon=1e-12, gamma=t_stop, m_2=m2, C=1.0)))
    ref = mix.sample(n, seed=int(seed) + 1)
    fr = metrics.closeness_frontier(x, ref, [eps], y_null=mix.sample(n, seed=int(seed) + 2))
    # A second, independent null level: their difference estimates the sampling noise.
    null2 = metrics.closeness_frontier(mix.sample(n, seed=int(seed) + 3), ref, [eps]).w2[0]
    w2, null = float(fr.w2[0]), float(fr.null[0])
    return dict(w2=w2, null=null, excess=max(w2 - null, 0.0), uncertainty=abs(null - null2),
                eps=eps, t_stop=t_stop, m_2=m2, gamma_m2=gamma * m2)


def _frontier_grid(quick):
    gammas = [0.1, 0.3, 0.6] if quick else [0.05, 0.1, 0.2, 0.4, 0.8]
    n, N = (600, 100) if quick else (2000, 400)
    return [dict(d=d, gamma=g, n=n, N=N) for d in (2, 8, 32) for g in gammas]


def _frontier_verdict(points, rows):
    w2_stmt = bounds.get("gupta2024.early_stop_w2")
    d, g = _column(points, "d"), _column(points, "gamma")
    measured = _column(rows, "excess")
    bound = w2_stmt.evaluate(d=d, m_2=_column(rows, "m_2"), t=_column(rows, "t_stop"), C=1.0)
    calibration = grid_boundary(g)
    unc = _column(rows, "uncertainty")
    C = max(fit_constant(measured, bound, calibration), 1e-12)
    ok, worst = held_out_check(measured, bound, calibration, C, unc)
    return ClaimRecord(
        name="frontier_w2",
        statements=["gupta2024.early_stop", w2_stmt.key, "gupta2024.corollary_b6"],
        params=dict(d=d, gamma=g, t_stop=_column(rows, "t_stop"), eps=_column(rows, "eps"),
                    n=points[0]["n"], N=points[0]["N"], T=T_HORIZON, calibration=calibration),
        predicted=C * bound, measured=measured, ratio=measured / (C * bound), holds=ok,
        fitted_constant=C, uncertainty=unc, held_out_worst_ratio=worst,
        details=dict(w2=_column(rows, "w2"), null=_column(rows, "null"),
                     gamma_m2=_column(rows, "gamma_m2")))


FRONTIER_W2 = Claim(
    "frontier_w2", ("gupta2024.early_stop", "gupta2024.early_stop_w2", "gupta2024.corollary_b6"),
    dict(d=2, gamma=0.1, n=600, N=100, seed=3),
    _frontier_measure, _frontier_grid, _frontier_verdict, FRONTIER_DOC)


CLAIMS = {c.name: c for c in (PROPAGATION_TV, L2_VERSUS_QUANTILE, FRONTIER_W2, DISCRETIZATION)}
