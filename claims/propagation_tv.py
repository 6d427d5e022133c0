"""Claim ``propagation_tv``: TV(p̂, q_{t_stop}) from exact 1-D laws vs Corollary B.6 over (eps, δ,
N).

Measure per grid point, grid, verdict and negative controls; registered in ``claims.registry``.
"""

from __future__ import annotations

import functools

import numpy as np

from diffbounds import bounds
from diffbounds.claims._claim import Claim, Control, integer, positive, probability, real
from diffbounds.claims._propagation_common import (
    B6_KEY,
    B6_SCORE_KEY,
    MIXTURE_1D,
    T_HORIZON,
    T_STOP,
    _column,
    _m2,
    _tv_and_error,
    b6_score_error_terms,
    b6_total,
    scaled_score,
    term_exponent,
    tv_between,
)
from diffbounds.claims.verdict import (
    ClaimRecord,
    Slope,
    ledger_check,
    line_slope_check,
)
from diffbounds.simulators import perturbed_score, schedule

PROPAGATION_DOC = """TV(p̂, q_{t_stop}) from exact 1-D laws vs Corollary B.6 over (eps, δ, N).

Score: exact mixture score plus a half-space error (adversarial direction, ``bad_magnitude`` 20)
of per-step quantile level δ_step; Lemma 1.3's hypothesis D^{δ/N} makes the bound's δ equal to
N·δ_step. Checks (``claims.verdict``), every point against the ledger (no constant is fitted):
(1) (TV + 2·unc)/B6 ≤ C[B.6], B6 the whole bound with constant 1 — the constant shared with
``l2_versus_quantile`` and ``frontier_w2``; (2) the score-error part on its own: the TV between
the perturbed and the exact-score chain (same start, same steps: Lemmas B.1–B.3 bound it by
δ + ε√(T + log 1/γ)) against C[B.6 score_error] — this is what sees the δ bookkeeping, since
the discretization term dominates (1); (3) rates: the chains' TV in ε (5 values, largest N,
smallest δ) ≥ the ε-term's exponent 1 − h (towards ε → 0; alternative ½); the exact-score TV
in N (5 values) ≤ −½ + h (alternative 0: no decay). The grid is three lines through
(ε = 0.05, δ_step = 1e-5, N = 50 quick / 100 full) rather than a product: an ε line, an N
line and a δ line at ε = 0.01 (where the δ term matters in the score-error part; full: also at
N = 400). Every N ≥ 25: below it (steps h ≳ 0.4) the TV between the perturbed and the exact
chain is dominated by how the large steps amplify the error (N = 12: 13× the score-error terms,
N = 16: 5×; measured, i.e. the range was chosen after seeing data), which B.6 charges to its
discretization term, so the score-error part cannot be isolated there.
Controls: (a) the bound evaluated with the per-step δ_step in place of the total δ = N·δ_step
(the bookkeeping bug); (b) the exponential integrator's drift 2(e^h − 1) replaced by
(e^h − 1) (the exact and perturbed scores scaled by ½)."""

EPS_LINE = (0.025, 0.05, 0.1, 0.2, 0.4)
N_LINE = {True: (25, 35, 50, 70, 100), False: (25, 50, 100, 200, 400)}
DELTA_LINE = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3)
CENTRE = {True: dict(eps=0.05, delta_step=1e-5, N=50),
          False: dict(eps=0.05, delta_step=1e-5, N=100)}
DELTA_LINE_EPS = 0.01


@functools.lru_cache(maxsize=64)
def _exact_score_law(N, spacing, score_scale=1.0):
    """(TV, uncertainty, law) of the exact-score chain; shared by the points with the same N."""
    score = MIXTURE_1D if score_scale == 1.0 else scaled_score(MIXTURE_1D, score_scale)
    return _tv_and_error(score, schedule.exponential(T_HORIZON, T_STOP, N), spacing,
                         MIXTURE_1D.at(T_STOP))


def _propagation_measure(eps, delta_step, N, bad_magnitude, spacing, score_scale=1.0):
    return dict(_measure_cached(float(eps), float(delta_step), int(N), float(bad_magnitude),
                                float(spacing), float(score_scale)))


@functools.lru_cache(maxsize=256)
def _measure_cached(eps, delta_step, N, bad_magnitude, spacing, score_scale):
    """One point's measurement, cached: the bookkeeping control re-judges the same points."""
    mix = MIXTURE_1D
    times = schedule.exponential(T_HORIZON, T_STOP, int(N))
    target = mix.at(T_STOP)
    ps = perturbed_score(mix, eps=eps, delta=delta_step, bad_magnitude=bad_magnitude)
    score = ps if score_scale == 1.0 else _scaled(ps, score_scale)
    tv, unc, law = _tv_and_error(score, times, spacing, target)
    tv_exact, unc_exact, exact = _exact_score_law(int(N), float(spacing), float(score_scale))
    chains = tv_between(law, exact)
    # Method error of the chains' TV: both laws' lattice errors (fine vs coarse) and lost mass.
    return dict(tv=tv, uncertainty=unc, tv_exact_score=tv_exact,
                uncertainty_exact_score=unc_exact, tv_to_exact_chain=chains,
                uncertainty_to_exact_chain=unc + unc_exact)


def _scaled(model, factor):
    def score(x, t):
        return factor * np.asarray(model(x, t), float)
    return score


def _propagation_grid(quick):
    spacing = 0.05 if quick else 0.02
    c, ns = CENTRE[bool(quick)], N_LINE[bool(quick)]
    pts = [dict(c, eps=e) for e in EPS_LINE]
    pts += [dict(c, N=n) for n in ns if n != c["N"]]
    pts += [dict(c, eps=DELTA_LINE_EPS, delta_step=d) for d in DELTA_LINE]
    if not quick:  # the δ line also at the largest N
        pts += [dict(c, eps=DELTA_LINE_EPS, delta_step=d, N=ns[-1]) for d in DELTA_LINE]
    return [dict(p, spacing=spacing) for p in pts]


def _n_line_grid(quick):
    """The N line alone (control (b): its N-slope and constants are enough to reject it)."""
    c = CENTRE[bool(quick)]
    return [p for p in _propagation_grid(quick)
            if p["eps"] == c["eps"] and p["delta_step"] == c["delta_step"]]


def _centre(points):
    """The grid's centre (eps, delta_step, N): the most common value of each among the points
    off the δ line (eps ≠ DELTA_LINE_EPS)."""
    from collections import Counter

    off = [p for p in points if p["eps"] != DELTA_LINE_EPS] or points
    return {k: Counter(p[k] for p in off).most_common(1)[0][0]
            for k in ("eps", "delta_step", "N")}


def _checks(points, rows, *, bookkeeping="total"):
    """The claim's checks; ``bookkeeping="per_step"`` injects the δ/N-for-δ bug (control)."""
    stmt = bounds.get(B6_KEY)
    m2 = _m2(MIXTURE_1D)
    eps, n, dstep = (_column(points, k) for k in ("eps", "N", "delta_step"))
    delta = n * dstep if bookkeeping == "total" else dstep
    total = b6_total(N=n, T=T_HORIZON, d=1, delta=delta, epsilon=eps, gamma=T_STOP, m_2=m2)
    score_part = b6_score_error_terms(T=T_HORIZON, delta=delta, epsilon=eps, gamma=T_STOP)
    checks = [
        ledger_check(B6_KEY, _column(rows, "tv"), total, uncertainty=_column(rows, "uncertainty"),
                     points=points, claim="propagation_tv"),
        ledger_check(B6_SCORE_KEY, _column(rows, "tv_to_exact_chain"), score_part,
                     uncertainty=_column(rows, "uncertainty_to_exact_chain"), points=points,
                     claim="propagation_tv")]
    c = _centre(points)
    sel = (n == c["N"]) & (dstep == c["delta_step"])
    line = (eps == c["eps"]) & (dstep == c["delta_step"])
    rates = [line_slope_check("epsilon", eps[sel], _column(rows, "tv_to_exact_chain")[sel],
                              term_exponent(stmt, "epsilon"), "to_zero", alternative=0.5),
             line_slope_check("N", n[line], _column(rows, "tv_exact_score")[line],
                              term_exponent(stmt, "N"), "to_infinity", alternative=0.0)]
    slopes = [r for r in rates if isinstance(r, Slope)]
    checks += [r.as_check() if isinstance(r, Slope) else r for r in rates]
    return checks, slopes, total, delta


def _verdict(points, rows, bookkeeping="total"):
    checks, slopes, total, delta = _checks(points, rows, bookkeeping=bookkeeping)
    measured, unc = _column(rows, "tv"), _column(rows, "uncertainty")
    p0 = points[0]
    return ClaimRecord(
        name="propagation_tv", statements=[B6_KEY],
        params=dict(eps=_column(points, "eps"), delta_step=_column(points, "delta_step"),
                    N=_column(points, "N"), delta=delta, T=T_HORIZON, t_stop=T_STOP, d=1,
                    m_2=_m2(MIXTURE_1D), bad_magnitude=p0["bad_magnitude"], region="halfspace",
                    direction="adversarial", mixture=MIXTURE_1D.to_dict(),
                    bookkeeping=bookkeeping),
        predicted=total, measured=measured, ratio=(measured + 2 * unc) / total,
        uncertainty=unc, slopes=slopes, checks=checks,
        details=dict(tv_exact_score=_column(rows, "tv_exact_score"),
                     tv_to_exact_chain=_column(rows, "tv_to_exact_chain")))


def _propagation_verdict(points, rows):
    return _verdict(points, rows)


def _per_step_bookkeeping_verdict(points, rows):
    """Control (a): the claim's verdict with δ_step where the bound needs δ = N·δ_step."""
    return _verdict(points, rows, bookkeeping="per_step")


def _half_drift_measure(**point):
    """Control (b): every chain with its score scaled by ½ (drift (e^h − 1)·s)."""
    return _propagation_measure(**{**point, "score_scale": 0.5})


PROPAGATION_TV_SPECS = dict(eps=positive(), delta_step=probability(), N=integer(1),
                            bad_magnitude=real(0.0), spacing=positive())
PROPAGATION_TV = Claim(
    "propagation_tv", (B6_KEY,),
    dict(eps=0.1, delta_step=1e-3, N=50, bad_magnitude=20.0, spacing=0.05),
    _propagation_measure, _propagation_grid, _propagation_verdict, PROPAGATION_DOC,
    controls=(
        Control("delta_per_step_bookkeeping",
                "bound evaluated with the per-step δ/N in place of the total δ",
                _propagation_grid, verdict_fn=_per_step_bookkeeping_verdict),
        Control("drift_coefficient_halved",
                "exponential integrator with (e^h − 1) for 2(e^h − 1): score × ½",
                _n_line_grid, measure_fn=_half_drift_measure),
    ),
    parameter_specs=PROPAGATION_TV_SPECS)

CLAIM = PROPAGATION_TV
