"""Claim ``lemma_4_1``: Lemma 4.1: E_{p₁}‖s₁ − s₂‖² ≳ ε²/σ² while TV(p₁, p₂) ≤ η = ε²σ²/R².

Measure per grid point, grid and verdict; registered in ``claims.registry``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import special

from diffbounds import bounds
from diffbounds.bounds import instances
from diffbounds.claims._claim import Claim, integer, positive
from diffbounds.claims._training_common import TV_FLOAT_TOL, _check_count, _check_pos, _column, two_sided_slope
from diffbounds.claims.verdict import (
    K_SIGMA,
    ROUNDOFF,
    ClaimRecord,
    grid_boundary,
)
from diffbounds.simulators import GaussianMixture

LEMMA41_DOC = """Lemma 4.1: E_{p₁}‖s₁ − s₂‖² ≳ ε²/σ² while TV(p₁, p₂) ≤ η = ε²σ²/R².

p_{1,2} = (1−η)N(0, σ²) + ηN(∓R, σ²) as ``simulators.GaussianMixture``s; the gap is
computed with their scores by Gauss–Hermite quadrature on each component (its method error,
|n nodes − n/2 nodes| + 1e-10 relative, is the uncertainty); TV from the mixtures' CDFs on a
partition (p₁ − p₂ changes sign once, at 0, so the partition sum is exact). This is a lower
bound: the constant c is the largest with gap ≥ c·ε²/σ² on the calibration part (grid
boundary in R, ε, σ); held out (interior) must satisfy gap + 2·uncertainty ≥ c·ε²/σ²;
``held_out_worst_ratio`` is max c·ε²/σ²/(gap + 2·unc) (≤ 1 holds). The paper's "≳" is read
as equality to leading order (R ≫ σ), so the slopes in ε, σ, R are checked two-sided against
the exponents of ``gupta2024.lemma_4_1_l2_gap`` (2, −2, 0) with tolerance 0.02. Also holds
only if TV ≤ η(1 + 1e-9) + 1e-12 at every point (1e-12: rounding of the CDF
differences, ~1e-16 each over 4000 cells) (the paper prints "TV ≳ η", a typo for ≲)."""


def _gh_expectation(f, mean, sigma, nodes):
    x, w = special.roots_hermite(nodes)
    return float(np.sum(w * f(mean + math.sqrt(2.0) * sigma * x)) / math.sqrt(math.pi))


def _lemma41_measure(R, eps, sigma, nodes):
    R, eps, sigma = _check_pos("R", R), _check_pos("eps", eps), _check_pos("sigma", sigma)
    nodes = _check_count("nodes", nodes, 8)
    if R < 10 * sigma:
        raise ValueError(f"R: Lemma 4.1 needs R >> sigma (R >= 10 sigma), got R = {R:g}")
    eta = float(bounds.get("gupta2024.lemma_4_1_eta").evaluate(epsilon=eps, sigma=sigma, R=R))
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
                l2_gap_quadrature=instances.lemma_4_1_l2_gap(R, eps, sigma))


def _lemma41_grid(quick):
    if quick:
        Rs, es, ss = [100.0, 300.0, 1000.0], [0.25, 0.5, 1.0], [0.5, 1.0, 2.0]
    else:
        Rs, es = [100.0, 200.0, 500.0, 1000.0, 3000.0], [0.1, 0.2, 0.5, 1.0, 2.0]
        ss = [0.25, 0.5, 1.0, 2.0, 4.0]
    return [dict(R=r, eps=e, sigma=s) for r, e, s in itertools.product(Rs, es, ss)]


def _lemma41_verdict(points, rows):
    stmt = bounds.get("gupta2024.lemma_4_1_l2_gap")
    R, eps, sig = (_column(points, k) for k in ("R", "eps", "sigma"))
    gap, unc = _column(rows, "l2_gap"), _column(rows, "uncertainty")
    tv, eta = _column(rows, "tv"), _column(rows, "eta")
    bound = np.asarray(stmt.evaluate(epsilon=eps, sigma=sig, C=1.0), float)
    calib = grid_boundary(R, eps, sig)
    c = float(np.min(gap[calib] / bound[calib]))
    ratios = c * bound[~calib] / (gap[~calib] + K_SIGMA * unc[~calib])
    worst = float(ratios.max())
    slopes = []
    for name, col, sym in (("epsilon", eps, "epsilon"), ("sigma", sig, "sigma"), ("R", R, "R")):
        others = [o for o in (R, eps, sig) if o is not col]
        sel = np.ones(len(points), bool)
        for o in others:
            sel &= o == np.median(o)
        slopes.append(two_sided_slope(name, col[sel], gap[sel], stmt.exponent(sym), 0.02))
    tv_ok = bool(np.all(tv <= eta * (1 + 1e-9) + TV_FLOAT_TOL))
    return ClaimRecord(
        name="lemma_4_1", statements=[stmt.key, "gupta2024.lemma_4_1_eta", "gupta2024.lemma_4_1"],
        params=dict(R=R, eps=eps, sigma=sig, eta=eta, calibration=calib),
        predicted=c * bound, measured=gap, ratio=gap / (c * bound),
        holds=bool(worst <= 1.0 + ROUNDOFF and tv_ok and all(s.holds for s in slopes)),
        fitted_constant=c, uncertainty=unc, held_out_worst_ratio=worst, slopes=slopes,
        details=dict(kind="lower bound: gap >= c * eps^2/sigma^2", tv=tv, tv_over_eta=tv / eta,
                     tv_within_eta=tv_ok,
                     quadrature_oracle_ratio=gap / _column(rows, "l2_gap_quadrature"),
                     samples_needed_to_distinguish=1.0 / eta))


LEMMA_4_1_SPECS = dict(R=positive(), eps=positive(), sigma=positive(), nodes=integer(8))
LEMMA_4_1 = Claim(
    "lemma_4_1", ("gupta2024.lemma_4_1_l2_gap", "gupta2024.lemma_4_1_eta", "gupta2024.lemma_4_1"),
    dict(R=100.0, eps=0.5, sigma=1.0, nodes=160),
    _lemma41_measure, _lemma41_grid, _lemma41_verdict, LEMMA41_DOC,
    parameter_specs=LEMMA_4_1_SPECS)

CLAIM = LEMMA_4_1
