"""Shared helpers of the training claims (binomial intervals, argument checks, slopes, the Lemma 4.1 pair)."""

from __future__ import annotations

import math

import numpy as np
from diffbounds.claims.verdict import (
    Slope,
    loglog_slope,
)
from scipy import special, stats

# Family-wise error rate of the binomial interval checks (Bonferroni over the grid's points).
FAMILY_ALPHA = 0.01
# Points per chunk of a vectorized simulation (memory ~ 5 arrays of this many float64).
_CHUNK = 1 << 21
# Absolute rounding allowance of the CDF-partition TV (4000 differences of O(1) CDFs).
TV_FLOAT_TOL = 1e-12
_FIG1_TAG = 0x66696731  # "fig1"
_L42_TAG = 0x6C343432  # "l442"
_SCQ_TAG = 0x73637175  # "scqu"


def _column(rows, key):
    return np.array([r[key] for r in rows], dtype=float)


def clopper_pearson(k, n, confidence):
    """Two-sided Clopper–Pearson interval (lower, upper) for a binomial proportion k/n."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    if np.any(n < 1) or np.any(k < 0) or np.any(k > n):
        raise ValueError("k: need 0 <= k <= n and n >= 1")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: must be in (0, 1), got {confidence}")
    a = 1.0 - confidence
    lo = np.where(k > 0, stats.beta.ppf(a / 2, np.maximum(k, 1), n - k + 1), 0.0)
    # upper end from the survival function (isf), not ppf(1 - a/2): the kind of issue 13 §2
    hi = np.where(k < n, stats.beta.isf(a / 2, k + 1, np.maximum(n - k, 1)), 1.0)
    return lo, hi


def _check_prob(name, v, *, open_high=True):
    v = float(v)
    if not (0.0 < v < 1.0 if open_high else 0.0 < v <= 1.0):
        raise ValueError(f"{name}: must be in (0, 1), got {v!r}")
    return v


def _check_pos(name, v):
    v = float(v)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name}: must be finite and > 0, got {v!r}")
    return v


def _check_count(name, v, lo=1):
    if isinstance(v, bool) or int(v) != v or int(v) < lo:
        raise ValueError(f"{name}: must be an integer >= {lo}, got {v!r}")
    return int(v)


def two_sided_slope(parameter, x, y, exponent, tolerance):
    """Slope of log y on log x; holds when |slope − exponent| ≤ half-width + tolerance (for
    statements claimed to leading order, where the measured rate must match, not just bound)."""
    slope, half = loglog_slope(x, y)
    ok = abs(slope - float(exponent)) <= half + tolerance
    return Slope(parameter, slope, half, float(exponent), "two_sided", bool(ok))


def pair_scores(x, eta, R, sigma=1.0):
    """(s₁(x), s₂(x)) of p_{1,2} = (1−η)N(0, σ²) + ηN(∓R, σ²) (Lemma 4.1), closed form:
    s₁ = −x/σ² − (R/σ²)·expit(a − Rx/σ² − R²/2σ²), s₂ = −x/σ² + (R/σ²)·expit(a + Rx/σ² −
    R²/2σ²), a = log(η/(1−η)) (the posterior weight of the far component, log-sum-exp stable).
    Identical to ``GaussianMixture.score`` (tested); used because it is ~20x cheaper."""
    x = np.asarray(x, float)
    a = math.log(eta) - math.log1p(-eta)
    s2_, c = sigma * sigma, R * R / (2 * sigma * sigma)
    base = -x / s2_
    return (base - (R / s2_) * special.expit(a - R * x / s2_ - c),
            base + (R / s2_) * special.expit(a + R * x / s2_ - c))
