"""Claim ``discretization``: Exact score: TV(p̂_N, q_{t_stop}) vs N against Lemma B.4, √(d/N)(T + log 1/γ).

Measure per grid point, grid and verdict; registered in ``claims.registry``.
"""

from __future__ import annotations

from diffbounds import bounds
from diffbounds.claims._claim import Claim, integer, positive, real
from diffbounds.claims._propagation_common import MIXTURE_1D, T_STOP, _column, _tv_and_error
from diffbounds.claims.verdict import (
    ClaimRecord,
    fit_constant,
    grid_boundary,
    held_out_check,
    slope_check,
)
from diffbounds.simulators import schedule

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


DISCRETIZATION_SPECS = dict(N=integer(1), T=real(1.0), spacing=positive())  # T >= 1: Lemma B.4
DISCRETIZATION = Claim(
    "discretization", ("gupta2024.lemma_b4",), dict(N=50, T=8.0, spacing=0.05),
    _disc_measure, _disc_grid, _disc_verdict, DISC_DOC,
    parameter_specs=DISCRETIZATION_SPECS)

CLAIM = DISCRETIZATION
