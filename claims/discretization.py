"""Claim ``discretization``: Exact score: TV(p̂_N, q_{t_stop}) vs N against Lemma B.4, √(d/N)(T +
log 1/γ).

Measure per grid point, grid, verdict and negative control; registered in ``claims.registry``.
"""

from __future__ import annotations

from diffbounds import bounds
from diffbounds.claims._claim import Claim, Control, integer, positive, real
from diffbounds.claims._propagation_common import (
    MIXTURE_1D,
    T_STOP,
    _column,
    _tv_and_error,
    scaled_score,
)
from diffbounds.claims.verdict import (
    ClaimRecord,
    Slope,
    ledger_check,
    line_slope_check,
)
from diffbounds.simulators import schedule

LEDGER_KEY = "gupta2024.lemma_b4"

DISC_DOC = """Exact score: TV(p̂_N, q_{t_stop}) vs N against Lemma B.4, √(d/N)(T + log 1/γ).

The start-up term (√d + m₂)e^{−T} of B.6 is kept below 1e-3 by T = 8. Checks: at every point
(TV + 2·unc)/bound ≤ the ledger's constant of Lemma B.4 (unc: the difference between the law at
lattice spacing Δ and 2Δ, plus lost mass); slope in N ≤ −½ + half-width (towards N → ∞; 5
values of N, the alternative to rule out is 0, no decay). Control: the exponential integrator's
drift coefficient halved (2(e^h − 1) → (e^h − 1), i.e. the score scaled by ½): the chain then
converges to a wrong law, its TV does not fall with N and needs a constant far above the
ledger's."""


def _disc_measure(N, T, spacing, score=None):
    mix = MIXTURE_1D
    tv, unc, _ = _tv_and_error(mix if score is None else score,
                               schedule.exponential(T, T_STOP, int(N)), spacing, mix.at(T_STOP))
    return dict(tv=tv, uncertainty=unc)


def _half_drift_measure(N, T, spacing):
    """The control's measurement: the exact score scaled by ½ (the drift-coefficient bug)."""
    return _disc_measure(N, T, spacing, score=scaled_score(MIXTURE_1D, 0.5))


def _disc_grid(quick):
    ns = [20, 40, 80, 160, 320] if quick else [20, 40, 80, 160, 320, 640]
    return [dict(N=n, spacing=0.05 if quick else 0.02) for n in ns]


def _disc_verdict(points, rows):
    stmt = bounds.get(LEDGER_KEY)
    n, T = _column(points, "N"), points[0]["T"]
    measured, unc = _column(rows, "tv"), _column(rows, "uncertainty")
    bound = stmt.evaluate(N=n, T=T, d=1, gamma=T_STOP, C=1.0)
    checks = [ledger_check(LEDGER_KEY, measured, bound, uncertainty=unc, points=points,
                           claim="discretization")]
    slope = line_slope_check("N", n, measured, float(bounds.exponent(stmt.expr, "N")),
                             "to_infinity", alternative=0.0)
    slopes = [slope] if isinstance(slope, Slope) else []
    return ClaimRecord(
        name="discretization", statements=[stmt.key],
        params=dict(N=n, T=T, t_stop=T_STOP, d=1),
        predicted=bound, measured=measured, ratio=(measured + 2 * unc) / bound,
        uncertainty=unc, slopes=slopes,
        checks=checks + [slope.as_check() if isinstance(slope, Slope) else slope])


DISCRETIZATION_SPECS = dict(N=integer(1), T=real(1.0), spacing=positive())  # T >= 1: Lemma B.4
DISCRETIZATION = Claim(
    "discretization", ("gupta2024.lemma_b4",),
    dict(N=50, T=8.0, spacing=0.05),
    _disc_measure, _disc_grid, _disc_verdict, DISC_DOC,
    controls=(Control("drift_coefficient_halved",
                      "exponential integrator with (e^h − 1) for 2(e^h − 1): score × ½",
                      _disc_grid, _half_drift_measure),),
    parameter_specs=DISCRETIZATION_SPECS)

CLAIM = DISCRETIZATION
