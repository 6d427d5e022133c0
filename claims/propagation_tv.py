"""Claim ``propagation_tv``: TV(p̂, q_{t_stop}) from exact 1-D laws vs Corollary B.6 over (eps, δ, N).

Measure per grid point, grid and verdict; registered in ``claims.registry``.
"""

from __future__ import annotations

import functools
import itertools

from diffbounds import bounds
from diffbounds.claims._claim import Claim, integer, positive, probability, real
from diffbounds.claims._propagation_common import (
    MIXTURE_1D,
    T_HORIZON,
    T_STOP,
    _column,
    _m2,
    _tv_and_error,
    _worst_point,
    bound_terms,
    fit_terms,
    term_exponent,
    tv_between,
)
from diffbounds.claims.verdict import (
    ClaimRecord,
    grid_boundary,
    slope_check,
)
from diffbounds.simulators import perturbed_score, schedule

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


PROPAGATION_TV_SPECS = dict(eps=positive(), delta_step=probability(), N=integer(1), bad_magnitude=real(0.0),
                             spacing=positive())
PROPAGATION_TV = Claim(
    "propagation_tv", ("gupta2024.corollary_b6",),
    dict(eps=0.1, delta_step=1e-3, N=50, bad_magnitude=20.0, spacing=0.05),
    _propagation_measure, _propagation_grid, _propagation_verdict, PROPAGATION_DOC,
    parameter_specs=PROPAGATION_TV_SPECS)

CLAIM = PROPAGATION_TV
