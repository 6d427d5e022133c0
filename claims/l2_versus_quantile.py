"""Claim ``l2_versus_quantile``: Same quantile error, L² error over orders of magnitude: TV stays
within B.6.

Measure per grid point, grid, verdict and negative control; registered in ``claims.registry``.
"""

from __future__ import annotations

import numpy as np

from diffbounds import bounds
from diffbounds.claims._claim import Claim, Control, integer, positive, probability, real
from diffbounds.claims._propagation_common import (
    B4_KEY,
    B6_KEY,
    MIXTURE_1D,
    T_HORIZON,
    T_STOP,
    _column,
    _m2,
    _tv_and_error,
    b6_total,
    discretization_tv,
)
from diffbounds.claims.verdict import (
    K_SIGMA,
    ClaimRecord,
    ledger_check,
    shape_check,
)
from diffbounds.simulators import perturbed_score, schedule

# Steps of the sampler check (3): Lemma B.4's bound is 0.53 there, so a wrong sampler (TV ≈ 0.53
# for the halved drift) needs 3.6× the pinned C[B.4] = 0.276; at the claim's N = 50 (bound 1.5)
# the margin would be 1.3× and shrinks with every hunt that raises C[B.4].
SAMPLER_CHECK_N = 400

L2_DOC = """Same quantile error, L² error over orders of magnitude: TV stays within B.6.

Half-space errors with fixed eps = 0.05, δ_step = 1e-3, N = 50 and bad_magnitude 1 → 10⁴: the
L² error E‖ŝ − s‖² grows by up to 8 orders of magnitude while D^δ stays eps/σ_t. Checks: (1) at
every magnitude (TV + 2·unc)/B6 ≤ C[B.6], the ledger constant shared with ``propagation_tv``
and ``frontier_w2`` (B.6 does not see bad_magnitude); (2) flat at the top: between the two
largest magnitudes TV moves by < 1% + 2·(the two method errors) while the L² error grows by
their ratio squared (an L²-driven TV would grow); (3) the sampler itself: its exact-score chain
(exponential schedule, N = 400 = ``SAMPLER_CHECK_N``, where Lemma B.4's bound is small enough to
have power), started at q_T, against Lemma B.4's ledger constant (its TV is the marginal of
TV(Q, Q_dis)); (4) Benton et al.'s L²-based guarantee,
TV ≤ √(KL/2) with KL ≲ ε_score² + … and ε_score² = Σ_k h_k E_{q_{t_k}}‖ŝ − s‖² (the exact L²
error of the model; constant 1), is vacuous (≥ 1) at the largest magnitude. Control: the
exponential integrator's drift 2(e^h − 1) replaced by (e^h − 1) (every score × ½): its TVs
need constants far above C[B.6] and C[B.4]."""


def _l2_measure(bad_magnitude, eps, delta_step, N, spacing, score_scale=1.0):
    mix = MIXTURE_1D
    times = schedule.exponential(T_HORIZON, T_STOP, int(N))
    ps = perturbed_score(mix, eps=eps, delta=delta_step, bad_magnitude=bad_magnitude)
    if score_scale == 1.0:
        score = ps
    else:
        def score(x, t):
            return score_scale * np.asarray(ps(x, t), float)
    tv, unc, _ = _tv_and_error(score, times, spacing, mix.at(T_STOP))
    h = -np.diff(times)
    eps_score2 = float(sum(hk * ps.l2_error(float(t))
                           for hk, t in zip(h, times[:-1], strict=True)))
    tv_dis, unc_dis = discretization_tv(T_HORIZON, SAMPLER_CHECK_N, float(spacing),
                                        float(score_scale))
    return dict(tv=tv, uncertainty=unc, l2_error_integrated=eps_score2,
                kappa=float(schedule.step_size_kappa(times)), tv_discretization=tv_dis,
                uncertainty_discretization=unc_dis)


def _l2_grid(quick):
    mags = [1.0, 30.0, 1e3] if quick else [1.0, 10.0, 30.0, 100.0, 1e3, 1e4]
    return [dict(bad_magnitude=m, spacing=0.05 if quick else 0.02) for m in mags]


def _l2_verdict(points, rows):
    benton = bounds.get("benton2024.kl")
    m2 = _m2(MIXTURE_1D)
    mags = _column(points, "bad_magnitude")
    n, dstep, eps = (_column(points, k) for k in ("N", "delta_step", "eps"))
    p0 = points[0]
    measured, unc = _column(rows, "tv"), _column(rows, "uncertainty")
    eps_score2 = _column(rows, "l2_error_integrated")
    bound = b6_total(N=n, T=T_HORIZON, d=1, delta=n * dstep, epsilon=eps, gamma=T_STOP, m_2=m2)
    checks = [ledger_check(B6_KEY, measured, bound, uncertainty=unc, points=points,
                           claim="l2_versus_quantile")]
    # The sampler itself: its exact-score chain (exponential schedule, N = SAMPLER_CHECK_N)
    # started at q_T against Lemma B.4 (the discretization part of B.6 on its own).
    b4 = np.full(len(points), float(bounds.get(B4_KEY).evaluate(
        N=SAMPLER_CHECK_N, T=T_HORIZON, d=1, gamma=T_STOP, C=1.0)))
    checks.append(ledger_check(B4_KEY, _column(rows, "tv_discretization"), b4,
                               uncertainty=_column(rows, "uncertainty_discretization"),
                               points=points, claim="l2_versus_quantile"))
    order = np.argsort(mags)
    hi, lo = order[-1], order[-2 if len(order) > 1 else -1]
    tv_change = float(abs(measured[hi] - measured[lo]))
    allowed = 0.01 * measured[hi] + K_SIGMA * (unc[hi] + unc[lo])
    checks.append(shape_check(
        "flat at the top", bool(tv_change <= allowed and len(order) > 1),
        f"TV moves by {tv_change:.3g} > {allowed:.3g} between bad_magnitude "
        f"{mags[lo]:g} and {mags[hi]:g}" if len(order) > 1 else "needs two magnitudes",
        inconclusive=len(order) < 2, value=tv_change, limit=allowed,
        margin=tv_change / allowed if allowed > 0 else None))
    kl = benton.evaluate(N=n, T=T_HORIZON, d=1, epsilon_score=np.sqrt(eps_score2),
                         kappa=_column(rows, "kappa"), C=1.0)
    benton_tv = np.sqrt(kl / 2.0)
    vacuous = bool(benton_tv[hi] >= 1.0)
    checks.append(shape_check(
        "L2 guarantee vacuous at the largest magnitude", vacuous,
        f"Benton et al.'s TV bound {benton_tv[hi]:.3g} < 1 at bad_magnitude {mags[hi]:g}",
        value=float(benton_tv[hi]), limit=1.0))
    return ClaimRecord(
        name="l2_versus_quantile", statements=[B6_KEY, benton.key],
        params=dict(bad_magnitude=mags, eps=p0["eps"], delta_step=p0["delta_step"],
                    N=p0["N"], T=T_HORIZON, t_stop=T_STOP),
        predicted=bound, measured=measured, ratio=(measured + K_SIGMA * unc) / bound,
        uncertainty=unc, checks=checks,
        details=dict(l2_error_integrated=eps_score2, benton_tv_bound=benton_tv,
                     benton_vacuous_at_largest=vacuous, tv_change_at_largest=tv_change,
                     l2_growth_at_largest=float(eps_score2[hi] / eps_score2[lo]),
                     l2_growth=float(eps_score2.max() / eps_score2.min())))


def _half_drift_measure(**point):
    """Control: the perturbed score scaled by ½ (drift (e^h − 1)·ŝ)."""
    return _l2_measure(**{**point, "score_scale": 0.5})


L2_VERSUS_QUANTILE_SPECS = dict(bad_magnitude=real(0.0), eps=positive(), delta_step=probability(),
                                 N=integer(1), spacing=positive())
L2_VERSUS_QUANTILE = Claim(
    "l2_versus_quantile", ("gupta2024.corollary_b6", "benton2024.kl"),
    dict(bad_magnitude=100.0, eps=0.05, delta_step=1e-3, N=50, spacing=0.05),
    _l2_measure, _l2_grid, _l2_verdict, L2_DOC,
    controls=(Control("drift_coefficient_halved",
                      "exponential integrator with (e^h − 1) for 2(e^h − 1): score × ½",
                      _l2_grid, measure_fn=_half_drift_measure),),
    parameter_specs=L2_VERSUS_QUANTILE_SPECS)

CLAIM = L2_VERSUS_QUANTILE
