"""Shared helpers of the training claims (binomial intervals, argument checks, slopes, the Lemma 4.1
pair)."""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats

from diffbounds.claims.verdict import Slope

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


def _log_expit(y):
    return -np.logaddexp(0.0, -np.asarray(y, float))


def pair_quantile_error_log10(eta, R, delta, sigma=1.0):
    """Exact log₁₀ D^δ_{p₁}(s₂, s₁) of the Lemma 4.1 pair, for any δ ∈ (0, 1).

    Parameters
    ----------
    eta : float
        Weight of the far component, in (0, ½).
    R : float
        Distance of the far component (p₁ has it at −R, p₂ at +R); > 0.
    delta : float
        Quantile level δ of D^δ (paper eq. (6)), in (0, 1).
    sigma : float
        Common standard deviation σ of the components; > 0.

    Returns
    -------
    float
        log₁₀ of the (1−δ)-quantile of |s₂ − s₁| under p₁ (units of the score, 1/σ).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message).

    Notes
    -----
    |s₂ − s₁|(x) = (R/σ²)[expit(b + Rx/σ²) + expit(b − Rx/σ²)], b = log(η/(1−η)) − R²/2σ² < 0,
    is even in x and increasing in |x|, so {|s₂ − s₁| ≥ g(u)} = {|x| ≥ u} and D^δ = g(u*) with
    P_{p₁}[|X| ≥ u*] = δ (a continuous, strictly decreasing tail): exact up to the root's
    rounding. Unlike ``figure_1.log10_quantile_error_pair`` (which assumes the far component
    lies wholly above the quantile, δ > η), this holds for δ < η as well, where the far
    component is inside the quantile and D^δ ≈ R/σ².
    """
    from scipy import optimize

    eta = float(eta)
    if not 0.0 < eta < 0.5:
        raise ValueError(f"eta: must be in (0, 0.5), got {eta!r}")
    delta = _check_prob("delta", delta)
    R, sigma = _check_pos("R", R), _check_pos("sigma", sigma)

    def log_tail(u):  # log P_{p₁}[|X| ≥ u]
        main = math.log1p(-eta) + math.log(2.0) + float(special.log_ndtr(-u / sigma))
        far = math.log(eta) + float(np.logaddexp(special.log_ndtr((R - u) / sigma),
                                                 special.log_ndtr(-(R + u) / sigma)))
        return float(np.logaddexp(main, far))

    target = math.log(delta)
    hi = R + sigma * (40.0 + math.sqrt(-2.0 * target))
    u = optimize.brentq(lambda v: log_tail(v) - target, 0.0, hi, xtol=1e-14 * hi,
                       rtol=4 * np.finfo(float).eps, maxiter=500)
    b = math.log(eta) - math.log1p(-eta) - R * R / (2 * sigma * sigma)
    lg = float(np.logaddexp(_log_expit(b + R * u / sigma**2), _log_expit(b - R * u / sigma**2)))
    return (math.log(R / sigma**2) + lg) / math.log(10)


def exact_slope_check(parameter, x, y, exponent, direction, *, method_tolerance,
                      alternative=None, observable=None) -> Slope:
    """``verdict.slope_check`` for a slope of exactly computed values (quadrature, closed forms).

    The values carry a derived relative method error ρ_i (not noise), so the computed slope is
    within τ = ``method_tolerance`` = Σ|w_i|·ρ_i/(1 − ρ_i) of the exact one (w the least-squares
    weights of log x). A one-sided comparison that misses by at most τ — the slope *equals*
    the exponent to within the method's resolution, as at a statement's leading order — is
    not a violation; with ``observable``, |slope − observable| ≤ h + τ is required. All
    other rules (5 distinct values, the power limit on h, states) are ``slope_check``'s.
    """
    from diffbounds.claims.verdict import FAILS, HOLDS, slope_check

    tau = float(method_tolerance)
    if not (math.isfinite(tau) and tau >= 0):
        raise ValueError(f"method_tolerance: must be finite and >= 0, got {tau!r}")
    s = slope_check(parameter, x, y, exponent, direction, alternative=alternative,
                    observable=observable, observable_tolerance=tau)
    if s.state == FAILS:
        one = {"to_infinity": s.slope - (s.exponent + s.half_width),
               "to_zero": (s.exponent - s.half_width) - s.slope}.get(direction,
                                                                    abs(s.slope - s.exponent)
                                                                    - s.half_width)
        obs_ok = observable is None or abs(s.slope - observable) <= s.half_width + tau
        if one <= tau and obs_ok:
            s.state, s.holds = HOLDS, True
            s.reason = (f"slope {s.slope:.6g} meets the exponent {s.exponent:g} within the "
                        f"method's slope resolution {tau:.2g}")
    return s


def ols_weights(x):
    """Least-squares weights w of a log-log slope: slope = Σ w_i log y_i."""
    lx = np.log(np.asarray(x, float))
    return (lx - lx.mean()) / np.sum((lx - lx.mean()) ** 2)
