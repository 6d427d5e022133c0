"""Claim ``w2_versus_quantile``: the same quantile score error, bad magnitude over orders of
magnitude: plain W2 grows without bound, the (ε, γ)-closeness of Corollary B.6 / early stopping
stays at γ·m₂, TV stays flat (issue 14 §3).

Measure per grid point, grid, verdict and negative control; registered in ``claims.registry``.
"""

from __future__ import annotations

import numpy as np

from diffbounds import bounds
from diffbounds.claims._claim import Claim, Control, integer, positive, probability, real
from diffbounds.claims._dimension_common import (
    B6_KEY,
    EARLY_STOP_KEY,
    check_dimension,
    exact_tv,
    m2_of,
    mixture_in,
    product_law,
)
from diffbounds.claims._propagation_common import _column, b6_total
from diffbounds.claims.ledger import load_ledger
from diffbounds.claims.verdict import (
    INCONCLUSIVE,
    K_SIGMA,
    Check,
    ClaimRecord,
    ledger_check,
    loglog_slope,
    shape_check,
)

T_HORIZON = 6.0
T_STOP = 1e-2
# The ε grid of the frontier γ*(ε) (read at the largest value ≤ ε_B6: γ* is non-increasing in
# ε, so that is an upper end of γ*(ε_B6)).
EPS_GRID = (0.05, 0.1, 0.2, 0.3)
DIMS = (1, 64)
MAGNITUDES = {True: (4.0, 8.0, 16.0, 32.0, 64.0),
              False: (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)}
STEPS = {True: 20, False: 50}
ATOMS = {True: 1000, False: 4000}
# W2 must grow at least like B^GROWTH_MIN (slope − h ≥ ½): midway between "bounded" (slope 0)
# and the observable rate 1 (the bad mass is displaced in proportion to the magnitude).
GROWTH_MIN = 0.5

DOC = """Same quantile error, bad magnitude growing over orders of magnitude: W2 unbounded,
frontier at γ·m₂, TV flat — why the paper's output is "ε-close in TV to something γm₂-close
in W2".

q₀ = ½N(−2e₁, ¼I_d) + ½N(1.5e₁, ¼I_d) in d = 1 and d = 64 (product laws, exact in both), exact
score plus ``perturbed_score``'s half-space error along +v = e₁ with fixed ε = 0.05 and
per-step mass δ_step = 1e-3 (so D^{δ/N} is the same at every point) and bad magnitude B =
4 … 64 (quick, N = 20) / 1 … 1000 (full, N = 50); T = 6, t_stop = 1e-2. Measured per point:
W2(p̂, q_{t_stop}) and W2(p̂, q₀) (law_nd: W2² adds over the factors; uncertainty lattice Δ vs
2Δ), TV(p̂, q_{t_stop}) (quadrature, Δ vs 2Δ), and the closeness frontier γ*(ε) of p̂ against q₀
(law_nd's bracket; its upper end plus its discretisation estimate) on ``EPS_GRID``. Checks:
(a) per d, the log-log slope of both W2s in B, minus its half-width, ≥ ½ (growth without bound;
measured ≈ 1); (b) at every point γ*(ε_read) ≤ C[early_stop_w2]·(√(d t_stop) + m₂ t_stop), the
ledger's constant (shared with ``frontier_w2`` and ``early_stopping_dimension``), ε_read the
largest grid ε ≤ ε_B6 = C[B.6]·B6 (Corollary B.6's TV bound with its ledger constant; ≥ 0.3 on
both grids); (c) TV within C[B.6]·B6 at every point and flat: between the two largest
magnitudes TV moves by < 1% + 2·(their method errors). Control: per-step mass δ_step = 0.02
(total 0.4 at N = 20, far above the δ the frontier's ε absorbs — Lemma 1.3's hypothesis
broken): the bad mass then exceeds ε_read and the frontier grows with B past the ledger bound."""


def _measure(d, bad_magnitude, eps, delta_step, N, spacing, atoms):
    d = check_dimension(d)
    mix = mixture_in(d)
    kw = dict(N=int(N), T=T_HORIZON, t_stop=T_STOP, eps=float(eps),
              delta_step=float(delta_step), bad_magnitude=float(bad_magnitude))
    fine = product_law(d, spacing=float(spacing), **kw)
    coarse = product_law(d, spacing=2 * float(spacing), **kw)
    q_stop = mix.at(T_STOP)
    out = {}
    for name, target in (("w2_to_stop", q_stop), ("w2_to_data", mix)):
        w = fine.w2(target)
        out[name], out[f"uncertainty_{name}"] = w, abs(w - coarse.w2(target))
    out["tv"], out["uncertainty"] = exact_tv(d, spacing=float(spacing), **kw)
    fb = fine.closeness_frontier(mix, list(EPS_GRID), atoms=int(atoms))
    for k, e in enumerate(EPS_GRID):
        out[f"frontier_upper_{e:g}"] = float(fb.upper[k])
        out[f"frontier_lower_{e:g}"] = float(fb.lower[k])
        out[f"frontier_error_{e:g}"] = float(fb.error[k])
    return out


def _grid(quick):
    quick = bool(quick)
    return [dict(d=d, bad_magnitude=b, N=STEPS[quick], atoms=ATOMS[quick],
                 spacing=0.05 if quick else 0.02)
            for d in DIMS for b in MAGNITUDES[quick]]


def _control_points(quick):
    """Control: the two largest magnitudes in d = 1 with per-step mass 0.02."""
    return [dict(p, delta_step=0.02) for p in _grid(quick)
            if p["d"] == 1 and p["bad_magnitude"] in MAGNITUDES[bool(quick)][-2:]]


def eps_read(eps_b6: float) -> float:
    """The largest ``EPS_GRID`` value ≤ ε_B6 (NaN when none).

    Parameters
    ----------
    eps_b6 : float
        ε of Corollary B.6.

    Returns
    -------
    float
        A value of ``EPS_GRID``, or NaN.

    Examples
    --------
    >>> eps_read(max(EPS_GRID)) == max(EPS_GRID)
    True
    """
    ok = [e for e in EPS_GRID if e <= eps_b6]
    return max(ok) if ok else float("nan")


def _verdict(points, rows):
    d, B = _column(points, "d"), _column(points, "bad_magnitude")
    eps, dstep, n = (_column(points, k) for k in ("eps", "delta_step", "N"))
    m2 = np.array([m2_of(int(k)) for k in d])
    tv, unc = _column(rows, "tv"), _column(rows, "uncertainty")
    b6 = b6_total(N=n, T=T_HORIZON, d=d, delta=n * dstep, epsilon=eps, gamma=T_STOP, m_2=m2)
    ledger = load_ledger()
    c_b6 = ledger.get(B6_KEY).constant if ledger.get(B6_KEY) else float("nan")
    eps_b6 = c_b6 * b6
    reads = np.array([eps_read(e) for e in eps_b6])
    w2_bound = np.asarray(bounds.get(EARLY_STOP_KEY).evaluate(d=d, t=T_STOP, m_2=m2, C=1.0),
                          float)
    checks = [ledger_check(B6_KEY, tv, b6, uncertainty=unc, points=points,
                           claim="w2_versus_quantile")]
    if np.all(np.isfinite(reads)):
        front = np.array([r[f"frontier_upper_{e:g}"] for r, e in zip(rows, reads, strict=True)])
        ferr = np.array([r[f"frontier_error_{e:g}"] for r, e in zip(rows, reads, strict=True)])
        flow = np.array([r[f"frontier_lower_{e:g}"] for r, e in zip(rows, reads, strict=True)])
        checks.append(ledger_check(EARLY_STOP_KEY, front, w2_bound, uncertainty=ferr,
                                   points=points, claim="w2_versus_quantile",
                                   name=f"frontier γ*(ε_B6) vs C·{EARLY_STOP_KEY}"))
    else:
        front = flow = np.full(len(rows), np.nan)
        checks.append(Check("frontier at ε_B6", "ledger", INCONCLUSIVE,
                            f"ε_B6 = C[B.6]·B6 below the smallest grid ε {EPS_GRID[0]} "
                            "(or B.6 not pinned): the frontier cannot be read"))
    growth = {}
    for k in np.unique(d):
        sel = d == k
        for name in ("w2_to_stop", "w2_to_data"):
            label = f"{name} grows with bad_magnitude (d={int(k)})"
            if np.unique(B[sel]).size < 5:
                checks.append(Check(label, "shape", INCONCLUSIVE,
                                    f"only {np.unique(B[sel]).size} magnitudes (< 5)"))
                continue
            s, h = loglog_slope(B[sel], _column(rows, name)[sel])
            growth[f"{name}[d={int(k)}]"] = (s, h)
            checks.append(shape_check(
                label, s - h >= GROWTH_MIN,
                f"slope {s:.3f} ± {h:.3f} in the bad magnitude: lower end below {GROWTH_MIN}",
                value=s, limit=GROWTH_MIN, margin=GROWTH_MIN - (s - h),
                margin_kind="difference", half_width=h))
        top = np.argsort(B[sel])[-2:]
        i, j = np.flatnonzero(sel)[top]
        if B[i] != B[j]:
            moved = abs(tv[j] - tv[i])
            limit = 0.01 * max(tv[i], tv[j]) + K_SIGMA * (unc[i] + unc[j])
            checks.append(shape_check(
                f"TV flat at the largest magnitudes (d={int(k)})", moved <= limit,
                f"TV moves by {moved:.3g} > {limit:.3g} between B = {B[i]:g} and {B[j]:g}",
                value=moved, limit=limit))
    return ClaimRecord(
        name="w2_versus_quantile", statements=[B6_KEY, EARLY_STOP_KEY],
        params=dict(d=d, bad_magnitude=B, eps=eps, delta_step=dstep, N=n, T=T_HORIZON,
                    t_stop=T_STOP, m_2=m2, region="halfspace", direction="+v"),
        predicted=w2_bound, measured=front, ratio=tv / b6, uncertainty=unc, checks=checks,
        details=dict(w2_to_stop=_column(rows, "w2_to_stop"),
                     w2_to_data=_column(rows, "w2_to_data"), tv=tv, eps_b6=eps_b6,
                     eps_read=reads, frontier=front, frontier_lower=flow,
                     w2_bound_ledger=w2_bound * (ledger.get(EARLY_STOP_KEY).constant
                                                 if ledger.get(EARLY_STOP_KEY) else np.nan),
                     tv_uncertainty=unc, b6_ledger=eps_b6,
                     frontier_over_gamma_level=front / w2_bound, growth=growth))


# Types and ranges of the parameters, checked when a sweep file is read and before measuring.
PARAMETER_SPECS = dict(d=integer(1), bad_magnitude=positive(), eps=real(0.0),
                       delta_step=probability(), N=integer(5), spacing=positive(),
                       atoms=integer(64))
CLAIM = Claim(
    "w2_versus_quantile", (B6_KEY, EARLY_STOP_KEY),
    dict(d=1, bad_magnitude=10.0, eps=0.05, delta_step=1e-3, N=20, spacing=0.05, atoms=1000),
    _measure, _grid, _verdict, DOC,
    controls=(Control("mass_above_delta",
                      "per-step bad mass δ_step = 0.02 (total 0.4): Lemma 1.3's D^{δ/N} broken",
                      _control_points),),
    parameter_specs=PARAMETER_SPECS)
