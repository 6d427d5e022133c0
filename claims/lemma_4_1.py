"""Claim ``lemma_4_1``: Lemma 4.1: E_{p₁}‖s₁ − s₂‖² ≳ ε²/σ² while TV(p₁, p₂) ≤ η = ε²σ²/R².

Measure per grid point, grid and verdict; registered in ``claims.registry``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import special, stats

from diffbounds import bounds
from diffbounds.bounds import instances
from diffbounds.claims._claim import Claim, Control, integer, positive
from diffbounds.claims._training_common import (
    TV_FLOAT_TOL,
    _check_count,
    _check_pos,
    _column,
    exact_slope_check,
    ols_weights,
)
from diffbounds.claims.verdict import (
    K_SIGMA,
    ClaimRecord,
    ledger_check,
    shape_check,
)
from diffbounds.simulators import GaussianMixture

LEMMA41_DOC = """Lemma 4.1: E_{p₁}‖s₁ − s₂‖² ≳ ε²/σ² while TV(p₁, p₂) ≤ η = ε²σ²/R².

p_{1,2} = (1−η)N(0, σ²) + ηN(∓R, σ²) as ``simulators.GaussianMixture``s; the gap is
computed with their scores by Gauss–Hermite quadrature on each component (its method error,
|n nodes − n/2 nodes| + 1e-10 relative, is the uncertainty); TV from the mixtures' CDFs on a
partition (p₁ − p₂ changes sign once, at 0, so the partition sum is exact).
Verdict:
* the gap is a lower bound: (gap − 2·unc)/(ε²/σ²) ≥ C at every point, C the ledger's
  constant of ``gupta2024.lemma_4_1[l2_gap]`` (the smallest ratio seen; ≈ 1);
* rates: the grid has lines of 5 values of ε, σ and R through one centre point; each slope is
  checked one-sided as a lower bound's (ε → ∞ side: slope ≥ 2 − h; σ → 0: ≤ −2 + h; R: ≥ 0 − h)
  and, since the gap equals ηR²/σ⁴ = ε²/σ² to leading order (paper-notes §6.1), two-sided
  against that observable rate; both within the slope's method resolution τ = Σ|w_i|ρ_i
  (``exact_slope_check``; w the least-squares weights of log x,
  ρ_i = 2·unc_i/gap_i + 8Φ̄(d_i/σ)/η_i the relative error of the leading order: the
  quadrature's, and the p₁-mass on the wrong side of the posterior midpoint
  d = R/2 − σ² log((1−η)/η)/R, times (2R/σ²)² over the gap ηR²/σ⁴);
* TV ≤ η(1 + 1e-9) + 1e-12 at every point (1e-12: rounding of the CDF differences, ~1e-16
  each over 4000 cells; the paper prints "TV ≳ η", a typo for ≲).
Negative control (``eta_factor`` = ¼): the far weight set to ε²σ²/(4R²) (a bookkeeping error
of the construction) gives a gap ≈ ε²/(4σ²), which the ledger's lower constant must reject."""


def _gh_expectation(f, mean, sigma, nodes):
    x, w = special.roots_hermite(nodes)
    return float(np.sum(w * f(mean + math.sqrt(2.0) * sigma * x)) / math.sqrt(math.pi))


def _lemma41_measure(R, eps, sigma, nodes, eta_factor):
    R, eps, sigma = _check_pos("R", R), _check_pos("eps", eps), _check_pos("sigma", sigma)
    eta_factor = _check_pos("eta_factor", eta_factor)
    nodes = _check_count("nodes", nodes, 8)
    if R < 10 * sigma:
        raise ValueError(f"R: Lemma 4.1 needs R >> sigma (R >= 10 sigma), got R = {R:g}")
    eta = eta_factor * float(bounds.get("gupta2024.lemma_4_1_eta").evaluate(
        epsilon=eps, sigma=sigma, R=R))
    if not eta < 0.5:
        raise ValueError(f"eps: the far weight eta = {eta:.3g} must be < 1/2 (eps sigma < R)")
    p1 = GaussianMixture([1 - eta, eta], [[0.0], [-R]], [sigma**2] * 2)
    p2 = GaussianMixture([1 - eta, eta], [[0.0], [R]], [sigma**2] * 2)

    def sq_gap(x):
        x = x[:, None]
        return np.square(p1.score(x) - p2.score(x))[:, 0]

    def gap(nn):
        return ((1 - eta) * _gh_expectation(sq_gap, 0.0, sigma, nn)
                + eta * _gh_expectation(sq_gap, -R, sigma, nn))

    g, g_half = gap(nodes), gap(nodes // 2)
    edges = np.unique(np.concatenate([np.linspace(-R - 40 * sigma, R + 40 * sigma, 4001),
                                      [0.0]]))
    tv = 0.5 * float(np.abs(np.diff(p1.cdf(edges[:, None]).ravel())
                            - np.diff(p2.cdf(edges[:, None]).ravel())).sum())
    return dict(l2_gap=g, uncertainty=abs(g - g_half) + 1e-10 * g, tv=tv, eta=eta,
                # the oracle at the same far weight: ε√factor gives η·factor
                l2_gap_quadrature=instances.lemma_4_1_l2_gap(R, eps * math.sqrt(eta_factor),
                                                             sigma))


def _lemma41_grid(quick):
    if quick:
        # Lines of 5 values of R, ε and σ through the centre (R, ε, σ) = (300, 0.5, 1).
        c = dict(R=300.0, eps=0.5, sigma=1.0)
        lines = dict(R=[100.0, 200.0, 300.0, 600.0, 1000.0], eps=[0.2, 0.3, 0.5, 0.7, 1.0],
                     sigma=[0.5, 0.7, 1.0, 1.4, 2.0])
        pts = [dict(c)]
        for k, vals in lines.items():
            pts += [dict(c, **{k: v}) for v in vals if v != c[k]]
        return pts
    Rs, es = [100.0, 200.0, 500.0, 1000.0, 3000.0], [0.1, 0.2, 0.5, 1.0, 2.0]
    ss = [0.25, 0.5, 1.0, 2.0, 4.0]
    return [dict(R=r, eps=e, sigma=s) for r, e, s in itertools.product(Rs, es, ss)]


LEMMA41_KEY = "gupta2024.lemma_4_1[l2_gap]"
LEMMA41_CONTROLS = {"eta_quartered": [dict(R=300.0, eps=e, sigma=1.0, eta_factor=0.25)
                                      for e in (0.3, 0.5, 1.0)]}


def _lemma41_verdict(points, rows):
    stmt = bounds.get("gupta2024.lemma_4_1_l2_gap")
    R, eps, sig = (_column(points, k) for k in ("R", "eps", "sigma"))
    gap, unc = _column(rows, "l2_gap"), _column(rows, "uncertainty")
    tv, eta = _column(rows, "tv"), _column(rows, "eta")
    bound = np.asarray(stmt.evaluate(epsilon=eps, sigma=sig, C=1.0), float)
    keys = [{k: p[k] for k in ("R", "eps", "sigma", "eta_factor")} for p in points]
    checks = [ledger_check(LEMMA41_KEY, gap, bound, uncertainty=unc, points=points,
                           claim="lemma_4_1", name="Lemma 4.1 gap >= C eps^2/sigma^2")]
    # Relative error of the leading order ε²/σ² (LEMMA41_DOC): quadrature + overlap mass.
    d = R / 2 - sig**2 * np.log((1 - eta) / eta) / R
    rho = K_SIGMA * unc / gap + 8 * stats.norm.sf(d / sig) / eta
    slopes = []
    for (name, toward), col in ((("epsilon", "infinity"), eps), (("sigma", "zero"), sig),
                                (("R", "infinity"), R)):
        sel = np.ones(len(points), bool)
        for o in (R, eps, sig):
            if o is not col:
                sel &= o == np.median(o)
        if np.unique(col[sel]).size < 3:
            continue
        w = ols_weights(col[sel])
        r = np.minimum(rho[sel], 0.5)
        e = float(stmt.exponent(name)) if name != "R" else 0.0
        slopes.append(exact_slope_check(
            f"{name} (lower bound, {name} -> {toward})", col[sel], gap[sel], e,
            "to_zero" if toward == "infinity" else "to_infinity", observable=e,
            method_tolerance=float(np.abs(w) @ (r / (1 - r)))))
    tv_ok = bool(np.all(tv <= eta * (1 + 1e-9) + TV_FLOAT_TOL))
    tv_lim = eta * (1 + 1e-9) + TV_FLOAT_TOL
    i = int(np.argmax(tv / tv_lim))
    checks.append(shape_check("TV(p1, p2) <= eta", tv_ok,
                              f"TV/eta = {tv[i] / eta[i]:.6g} > 1 at {keys[i]}",
                              value=float(tv[i] / eta[i]), limit=float(tv_lim[i] / eta[i]),
                              margin=float(tv[i] / tv_lim[i])))
    return ClaimRecord(
        name="lemma_4_1", statements=[stmt.key, "gupta2024.lemma_4_1_eta", "gupta2024.lemma_4_1"],
        params=dict(R=R, eps=eps, sigma=sig, eta=eta),
        predicted=bound, measured=gap, ratio=gap / bound, fitted_constant=None,
        uncertainty=unc, slopes=slopes, checks=checks,
        details=dict(kind="lower bound: gap >= C * eps^2/sigma^2, C from the ledger",
                     tv=tv, tv_over_eta=tv / eta, leading_order_relative_error=rho,
                     quadrature_oracle_ratio=gap / _column(rows, "l2_gap_quadrature"),
                     samples_needed_to_distinguish=1.0 / eta))


LEMMA_4_1_SPECS = dict(R=positive(), eps=positive(), sigma=positive(), nodes=integer(8),
                       eta_factor=positive())
LEMMA_4_1 = Claim(
    "lemma_4_1", ("gupta2024.lemma_4_1_l2_gap", "gupta2024.lemma_4_1_eta", "gupta2024.lemma_4_1"),
    dict(R=100.0, eps=0.5, sigma=1.0, nodes=160, eta_factor=1.0),
    _lemma41_measure, _lemma41_grid, _lemma41_verdict, LEMMA41_DOC,
    controls=(Control("eta_quartered", "far weight eps^2 sigma^2/(4 R^2) (bookkeeping off by 4): "
                      "gap ~ eps^2/(4 sigma^2), below the ledger's lower constant",
                      lambda quick: LEMMA41_CONTROLS["eta_quartered"]),),
    parameter_specs=LEMMA_4_1_SPECS)

CLAIM = LEMMA_4_1
