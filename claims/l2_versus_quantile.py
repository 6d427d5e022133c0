"""Claim ``l2_versus_quantile``: Same quantile error, L² error over orders of magnitude: TV stays within B.6.

Measure per grid point, grid and verdict; registered in ``claims.registry``.
"""

from __future__ import annotations

import numpy as np

from diffbounds import bounds
from diffbounds.claims._claim import Claim, integer, positive, probability, real
from diffbounds.claims._propagation_common import MIXTURE_1D, T_HORIZON, T_STOP, _column, _m2, _tv_and_error
from diffbounds.claims.verdict import (
    K_SIGMA,
    ClaimRecord,
    fit_constant,
    grid_boundary,
    held_out_check,
)
from diffbounds.simulators import perturbed_score, schedule

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


L2_VERSUS_QUANTILE_SPECS = dict(bad_magnitude=real(0.0), eps=positive(), delta_step=probability(),
                                 N=integer(1), spacing=positive())
L2_VERSUS_QUANTILE = Claim(
    "l2_versus_quantile", ("gupta2024.corollary_b6", "benton2024.kl"),
    dict(bad_magnitude=100.0, eps=0.05, delta_step=1e-3, N=50, spacing=0.05),
    _l2_measure, _l2_grid, _l2_verdict, L2_DOC,
    parameter_specs=L2_VERSUS_QUANTILE_SPECS)

CLAIM = L2_VERSUS_QUANTILE
