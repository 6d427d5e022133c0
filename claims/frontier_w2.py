"""Claim ``frontier_w2``: Closeness frontier γ*(ε) of sampler output vs q₀ against γ·m₂ (early stopping).

Measure per grid point, grid and verdict; registered in ``claims.registry``.
"""

from __future__ import annotations

import numpy as np

from diffbounds import bounds
from diffbounds.claims._claim import Claim, claim_seed, integer, probability
from diffbounds.claims._propagation_common import T_HORIZON, _column, _m2
from diffbounds.claims.verdict import (
    ClaimRecord,
    fit_constant,
    grid_boundary,
    held_out_check,
)
from diffbounds.simulators import GaussianMixture, metrics, sample, schedule

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


FRONTIER_W2_SPECS = dict(d=integer(1), gamma=probability(), n=integer(2), N=integer(1),
                         seed=claim_seed())
FRONTIER_W2 = Claim(
    "frontier_w2", ("gupta2024.early_stop", "gupta2024.early_stop_w2", "gupta2024.corollary_b6"),
    dict(d=2, gamma=0.1, n=600, N=100, seed=3),
    _frontier_measure, _frontier_grid, _frontier_verdict, FRONTIER_DOC,
    parameter_specs=FRONTIER_W2_SPECS)

CLAIM = FRONTIER_W2
