"""Claim ``propagation_dimension``: Corollary B.6 over d = 1 … 10⁴ with score errors along v,
exact in every d (product laws).

Measure per grid point, grid, verdict and negative control; registered in ``claims.registry``.
"""

from __future__ import annotations

import numpy as np

from diffbounds import bounds
from diffbounds.claims._claim import Claim, Control, choice, integer, positive, probability, real
from diffbounds.claims._dimension_common import (
    check_dimension,
    exact_tv,
    m2_of,
    product_law,
)
from diffbounds.claims._propagation_common import (
    B6_KEY,
    B6_SCORE_KEY,
    _column,
    b6_score_error_terms,
    b6_total,
    term_exponent,
    tv_between,
)
from diffbounds.claims.verdict import ClaimRecord, Slope, ledger_check, line_slope_check

T_HORIZON = 6.0
T_STOP = 1e-2
D_LINE = {True: (1, 3, 10, 30, 100), False: (1, 3, 10, 30, 100, 300, 1000, 3000, 10000)}
EPS_LINE = (0.025, 0.05, 0.1, 0.2, 0.4)
DELTA_LINE = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3)
DELTA_LINE_EPS = 0.01
CENTRE = {True: dict(d=100, eps=0.05, delta_step=1e-5, N=50),
          False: dict(d=100, eps=0.05, delta_step=1e-5, N=400)}

DOC = """Corollary B.6 over d = 1 … 10⁴, score errors along v, exact output laws in every d.

q₀ = ½N(−2e₁, ¼I_d) + ½N(1.5e₁, ¼I_d), T = 6, t_stop = γ = 1e-2, N = 50 (quick) / 400 (full)
exponential-schedule steps. Score: the exact score plus ``perturbed_score``'s half-space error
along +v = e₁ on {x₁ > τ_t} (the upper tail, pushed outward), of per-step mass δ_step and size
ε/σ_t elsewhere (Lemma 1.3's D^{δ/N}: the bound's δ = N·δ_step) and ``bad_magnitude`` 20 inside
— as ``propagation_tv`` but with the direction ±v that keeps the output law a product
(law_nd). Checks (every point against the ledger, nothing fitted): (1) (TV + 2·unc)/B6 ≤ C[B.6]
with m₂ = m₂(d) — the constant shared with ``propagation_tv``, ``l2_versus_quantile``,
``frontier_w2``; (2) the score-error part: TV between the perturbed and the exact-score chain
against C[B.6 score_error]·(δ + ε√(T + log 1/γ)). The two chains' laws share the Gaussian factor
exactly, so this TV is that of their 1-D factors in every d (TV(p⊗g, q⊗g) = TV(p, q)): the
score-error part of B.6 does not grow with d here, as the bound's form says. (3) rates: the
total TV's d-slope on the d line ≤ ½ + h (B.6's d-exponent, alternative 1); full grid only: the
ε-part alone, TV between the chain with (ε, δ) and the chain with (0, δ) (5 values of ε,
d = 100), ≥ 1 − h towards ε → 0 (the ε-term's exponent; alternative ½). Grid: quick, the d
line d = 1 … 100 at N = 50 (the perturbed 1-D law costs ~30 ms a step, and at N = 50 the TV
saturates beyond d ~ 10³); full, d = 1 … 10⁴ at N = 400, plus an ε line and a δ line at
ε = 0.01 through d = 100 (where the δ/N bookkeeping bug is visible: the tests inject it).
Control: the bound evaluated with d = 1 (√d dropped; a dimension-free bookkeeping): rejected by
the ledger constant at large d and by its d-exponent 0."""


def _measure(d, eps, delta_step, N, bad_magnitude, spacing, with_floor=0):
    d = check_dimension(d)
    kw = dict(N=int(N), T=T_HORIZON, t_stop=T_STOP, spacing=float(spacing))
    err = dict(eps=float(eps), delta_step=float(delta_step), bad_magnitude=float(bad_magnitude))
    tv, unc = exact_tv(d, **kw, **err)
    tv_exact, unc_exact = exact_tv(d, **kw)
    pert, exact = product_law(d, **kw, **err), product_law(d, **kw)
    chains = tv_between(pert.line, exact.line)
    out = {}
    if with_floor:
        # The ε-part alone: TV to the chain with the same half-space error and ε = 0.
        floor = product_law(d, **kw, **{**err, "eps": 0.0})
        out = dict(tv_to_eps0_chain=tv_between(pert.line, floor.line))
    return dict(out, tv=tv, uncertainty=unc, tv_exact_score=tv_exact,
                uncertainty_exact_score=unc_exact, tv_to_exact_chain=chains,
                uncertainty_to_exact_chain=unc + unc_exact)


def _grid(quick):
    quick = bool(quick)
    c = CENTRE[quick]
    spacing = 0.05 if quick else 0.02
    pts = [dict(c, d=d) for d in D_LINE[quick]]
    if not quick:  # the ε line (with the ε = 0 floor) and the δ line
        pts += [dict(c, eps=e, with_floor=1) for e in EPS_LINE]
        pts += [dict(c, eps=DELTA_LINE_EPS, delta_step=s) for s in DELTA_LINE]
    return [dict(p, spacing=spacing) for p in pts]


def _verdict(points, rows, *, bookkeeping="total", bound_d=None):
    stmt = bounds.get(B6_KEY)
    d, eps, n, dstep = (_column(points, k) for k in ("d", "eps", "N", "delta_step"))
    delta = n * dstep if bookkeeping == "total" else dstep
    m2 = np.array([m2_of(int(k)) for k in d])
    dd = d if bound_d is None else np.full_like(d, float(bound_d))
    total = b6_total(N=n, T=T_HORIZON, d=dd, delta=delta, epsilon=eps, gamma=T_STOP, m_2=m2)
    score_part = b6_score_error_terms(T=T_HORIZON, delta=delta, epsilon=eps, gamma=T_STOP)
    measured, unc = _column(rows, "tv"), _column(rows, "uncertainty")
    chains = _column(rows, "tv_to_exact_chain")
    checks = [
        ledger_check(B6_KEY, measured, total, uncertainty=unc, points=points,
                     claim="propagation_dimension"),
        ledger_check(B6_SCORE_KEY, chains, score_part,
                     uncertainty=_column(rows, "uncertainty_to_exact_chain"), points=points,
                     claim="propagation_dimension")]
    floor = np.array([r.get("tv_to_eps0_chain", np.nan) for r in rows])
    on_eps = np.isfinite(floor)
    # the d line; the ε line's copy of the centre (d = 100, with the ε = 0 floor) is not
    # counted twice
    on_d = (eps == 0.05) & (dstep == 1e-5) & ~on_eps
    exp_d = term_exponent(stmt, "d") if bound_d is None else 0.0
    rates = [line_slope_check("d", d[on_d], measured[on_d], exp_d, "to_infinity",
                              alternative=exp_d + 0.5)]
    if on_eps.any():  # full grid only: the ε line
        rates.append(line_slope_check("epsilon", eps[on_eps], floor[on_eps],
                                      term_exponent(stmt, "epsilon"), "to_zero",
                                      alternative=0.5))
    slopes = [r for r in rates if isinstance(r, Slope)]
    return ClaimRecord(
        name="propagation_dimension", statements=[B6_KEY],
        params=dict(d=d, eps=eps, delta_step=dstep, N=n, delta=delta, m_2=m2, T=T_HORIZON,
                    t_stop=T_STOP, bad_magnitude=points[0]["bad_magnitude"],
                    region="halfspace", direction="+v", bookkeeping=bookkeeping),
        predicted=total, measured=measured, ratio=(measured + 2 * unc) / total,
        uncertainty=unc, slopes=slopes,
        checks=checks + [r.as_check() if isinstance(r, Slope) else r for r in rates],
        details=dict(tv_exact_score=_column(rows, "tv_exact_score"), tv_to_exact_chain=chains))


def _claim_verdict(points, rows):
    return _verdict(points, rows)


def _per_step_verdict(points, rows):
    """The δ/N-for-δ bookkeeping bug (a test's injected bug; on the full grid's δ line)."""
    return _verdict(points, rows, bookkeeping="per_step")


def _dimension_free_verdict(points, rows):
    """Control: B.6 evaluated with d = 1 (√d dropped from its start-up and discretization
    terms; m₂ kept)."""
    return _verdict(points, rows, bound_d=1)


# Types and ranges of the parameters, checked when a sweep file is read and before measuring.
PARAMETER_SPECS = dict(d=integer(1), eps=real(0.0), delta_step=probability(), N=integer(5),
                       bad_magnitude=positive(), spacing=positive(), with_floor=choice(0, 1))
CLAIM = Claim(
    "propagation_dimension", (B6_KEY,),
    dict(d=1, eps=0.05, delta_step=1e-5, N=50, bad_magnitude=20.0, spacing=0.05, with_floor=0),
    _measure, _grid, _claim_verdict, DOC,
    controls=(Control("dimension_free_bound",
                      "Corollary B.6 evaluated with d = 1 (√d dropped; m₂ kept)",
                      _grid, verdict_fn=_dimension_free_verdict),),
    parameter_specs=PARAMETER_SPECS)
