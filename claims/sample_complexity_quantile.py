"""Claim ``sample_complexity_quantile``: Lemmas A.1/A.2: the smallest m with D^δ_{q_t}(ŝ_t, s_t) ≤
ε/σ_t w.p. ≥ 1 − δ_train.

Measure per grid point, grid and verdict; registered in ``claims.registry``.
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from diffbounds import bounds
from diffbounds.bounds import instances
from diffbounds.claims._claim import (
    Claim,
    Control,
    choice,
    claim_seed,
    integer,
    positive,
    probability,
    real,
)
from diffbounds.claims._training_common import (
    _SCQ_TAG,
    _check_count,
    _check_pos,
    _check_prob,
    _column,
    clopper_pearson,
    pair_quantile_error_log10,
    pair_scores,
)
from diffbounds.claims.verdict import (
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    K_SIGMA,
    MIN_SLOPE_VALUES,
    ROUNDOFF,
    Check,
    ClaimRecord,
    Slope,
    half_width_limit,
    ledger_check,
    shape_check,
    slope_check,
)
from diffbounds.simulators import GaussianMixture
from diffbounds.simulators.training import denoising_data, fit_mixture

SCQ_DOC = """Lemmas A.1/A.2: the smallest m with D^δ_{q_t}(ŝ_t, s_t) ≤ ε/σ_t w.p. ≥ 1 − δ_train.

One dimension, one time (σ_t = 0.3), data law q₀ = ½N(−1, 0.04) + ½N(1, 0.04), Setting 1.1
data (``denoising_data``: m points reused, counter-based noise). Classes: "finite" — the 61
shifted truths s_t(· − θe^{−t}), θ ∈ [−0.15, 0.15] step 0.005 (Lemma A.2's hypothesis: the
truth is in the class), exact ERM by enumeration on nested prefixes of one m_max sample per
seed (equal to ``fit_finite`` on each prefix; closed-form score, tested); "mixture" —
``fit_mixture`` (K = 2, isotropic, started at the truth: the global minimiser of its basin).
For each m of a log grid the success rate over seeds is measured; m* is where it first
reaches 1 − δ_train (log-linear interpolation between grid points; its uncertainty is half the
spread of the m* read off the one-standard-error (68.3%) Clopper–Pearson limits of the rates,
widened by K_SIGMA = 2 in the verdict). D^δ and L² of each
trained score are computed on a 20 000-cell quadrature of q_t (not sampled); one simulation
per class serves every (ε, δ), so the grid has 8 ε values over a factor ≥ 10 and 8 δ values
(the finite class's ε from 0.1: below, m* exceeds the m grid at small δ).
Verdict per class:
* constant: m* + 2·unc ≤ C·B(ε, δ) at every point with m* on the grid, C the ledger's pinned
  constant of Lemma A.2 (finite, H = 61) / Lemma A.1 (mixture, P = 6, D = 1, Θ = 10); a point
  with m* beyond the grid fails when m_max/B alone exceeds C, and is reported as unresolved
  (consistent, outside the grid's resolution) where C·B > m_max; a point censored at the
  grid's smallest m (m* ≤ m_min: lower end 0) can never need a larger constant and is
  reported, not checked;
* rates (censored points — m* at the grid's smallest m, at its largest or beyond — excluded):
  the ε-slope is one least-squares slope with one intercept per δ (the δ-dependence is not a
  power law, see below), one-sided against the lemma's −2 (ε → 0: slope ≥ −2 − h); for the
  finite class against ε_eff, the largest σ_t·D^δ of a class member ≤ ε
  (``finite_effective_eps``): success depends on ε only through the admissible members, so
  m*(ε) = m*(ε_eff) is a staircase in ε (full sweep: slope −1.82 ± 0.06 in ε_eff, −2.10 ± 0.09
  in the nominal ε, in ``details``; points where only the truth is admissible excluded); the
  δ-slope is the slope of those intercepts over the grid's 5 smallest δ (the δ → 0 regime),
  one-sided against −1.
m* grows much slower than 1/δ here: the lemma's 1/δ is a worst case over distributions. For
the finite (shift) class m* ≈ c(δ)²/ε²·const with c(δ) the (1−δ)-quantile of σ_t|∂_θ s| under
q_t: c ≈ 2.26 for δ ≥ 0.03, 4.0 at 0.01, 12.1 at 3e-3, then it saturates at ≈ 14 (max |∂_θ s|,
in the valley between the modes, q_t-mass ≈ 0.005) for δ ≤ 1e-3. So the *local* δ-slope
between 3e-3 and 3e-2 is ≈ −1.5, steeper than the lemma's −1 (m* is still far below C·B),
while towards δ → 0 it flattens to 0, which is what the δ-slope over the smallest δ sees; the
local slopes between neighbouring δ are in ``details`` (per class, ``local_delta_slopes``).
L² contrast ("l2_pair"): Lemma 4.1's pair at σ_t ∈ [0.07, 0.3], η = 4ε²σ_t²/R² (R = 5, ε = 0.5,
so E‖s₂ − s₁‖² = 4ε²/σ_t² > ε²/σ_t²), ERM over {s₁, s₂} on Setting 1.1 data of p₁, simulated
at every m ≤ m_max (the tie-break coin averaged out exactly): m*_L2 (L² error ≤ ε²/σ_t² w.p.
≥ 1 − δ_train) is read at every integer m and checked against its exact value
log(2δ_train)/log(1 − η), and its slope in σ_t against the σ-exponent of ``gupta2024.lemma_4_1``
(−2, one-sided as σ_t → 0 and two-sided as the observable rate, tolerance 2η/(1−η)): the
poly(1/σ_t) the paper proves necessary. m*_quantile is measured per seed from the chosen
score's exact D^{0.01} under p₁ (``pair_quantile_error_log10``: 0 for s₁, ~10^{−40…−900} for
s₂): every seed succeeds already at m = 1, which is censored and reported, not fitted.
Negative control (``SC_CONTROLS``): the finite class shifted by 0.2 (θ ∈ [0.05, 0.35]; the
truth is not in it, Lemma A.2's hypothesis broken): at ε = 0.07 no θ of the class reaches
D^δ ≤ ε/σ_t, m* lies beyond the grid, and m_max/B already exceeds the pinned constant."""

SC_TRUTH = GaussianMixture([0.5, 0.5], [[-1.0], [1.0]], [0.04, 0.04])
SC_THETAS = np.round(np.linspace(-0.15, 0.15, 61), 6)
SC_THETA_BOUND = 10.0
SC_PAIR_R = 5.0
SC_PAIR_EPS = 0.5
SC_CLASSES = ("finite", "mixture", "l2_pair")
# Confidence of the one-standard-error binomial limits behind m*'s uncertainty.
ONE_SIGMA = float(stats.norm.cdf(1.0) - stats.norm.cdf(-1.0))


def _t_of_sigma(sigma_t):
    return -0.5 * math.log1p(-sigma_t * sigma_t)


def sc_truth_score(y: ArrayLike, sigma_t: float, shift: float = 0.0) -> np.ndarray:
    """Exact score of q_t for SC_TRUTH (symmetric 2-component), at y − shift·e^{−t}:
    s(y) = (−y + μ_t tanh(μ_t y/v_t))/v_t, μ_t = e^{−t}, v_t = 0.04e^{−2t} + σ_t².

    Parameters
    ----------
    y : array_like
        Points, any shape.
    sigma_t : float
        σ_t in (0, 1), which fixes t.
    shift : float
        Shift of the means (a wrong score for shift ≠ 0).

    Returns
    -------
    numpy.ndarray
        The score, the shape of ``y``.

    Examples
    --------
    >>> float(sc_truth_score(0.0, 0.5)[()])  # the law is symmetric: the score vanishes at 0
    0.0
    """
    t = _t_of_sigma(sigma_t)
    mu, v = math.exp(-t), 0.04 * math.exp(-2 * t) + sigma_t**2
    y = np.asarray(y, float) - shift * mu
    return (-y + mu * np.tanh(mu * y / v)) / v


@functools.lru_cache(maxsize=8)
def _quadrature(sigma_t, cells=20_000):
    """(midpoints, cell masses) of q_t for SC_TRUTH."""
    qt = SC_TRUTH.at(_t_of_sigma(sigma_t))
    sd = float(np.sqrt(qt.variances.max()))
    lo, hi = float(qt.means.min()) - 9 * sd, float(qt.means.max()) + 9 * sd
    edges = np.linspace(lo, hi, cells + 1)
    mass = np.diff(qt.cdf(edges[:, None]).ravel())
    return 0.5 * (edges[1:] + edges[:-1]), mass


def weighted_quantile_error(err: ArrayLike, mass: np.ndarray, delta: float) -> float:
    """D^δ of |err| under cell masses: the smallest ε with mass{|err| ≥ ε} ≤ δ (upper
    quantile, paper eq. (6)), read off the cells sorted by |err|.

    Parameters
    ----------
    err : array_like
        The error per cell, shape (n,).
    mass : numpy.ndarray
        The mass of each cell, shape (n,).
    delta : float
        δ.

    Returns
    -------
    float
        D^δ.

    Examples
    --------
    >>> import numpy as np
    >>> weighted_quantile_error([3.0, 1.0, 2.0], np.array([0.1, 0.6, 0.3]), 0.2)
    2.0
    """
    a = np.abs(np.asarray(err, float))
    order = np.argsort(-a)
    cum = np.cumsum(mass[order])
    k = int(np.searchsorted(cum, delta, side="right"))
    return float(a[order][min(k, a.size - 1)])


def _sc_mgrid(m_max, per_decade=4):
    k = int(round(per_decade * math.log10(m_max / 10.0)))
    return np.unique(np.round(np.logspace(1, math.log10(m_max), k + 1)).astype(int))


@functools.lru_cache(maxsize=16)
def _sc_errors(cls, sigma_t, m_max, n_seeds, seed, theta_offset=0.0):
    """Per (seed, m) the trained score's error function on the quadrature cells: returns
    (m grid, errors (n_seeds, n_m, cells)) — or for "finite" the chosen θ (n_seeds, n_m).
    ``theta_offset`` shifts the finite class (SC_THETAS + offset; the negative control)."""
    t = _t_of_sigma(sigma_t)
    thetas = np.round(SC_THETAS + theta_offset, 6)
    mgrid = _sc_mgrid(m_max) if cls == "finite" else _sc_mgrid(m_max, 2)
    mid, _ = _quadrature(sigma_t)
    if cls == "finite":
        theta = np.empty((n_seeds, mgrid.size))
        for j in range(n_seeds):
            x0 = SC_TRUTH.sample(m_max, seed=seed * 100_003 + j)
            data = denoising_data(x0, [t], seed=seed * 100_003 + j + 7)
            y, g = data.y[0, :, 0], data.target[0, :, 0]
            loss = np.cumsum(np.square(sc_truth_score(y[None, :], sigma_t, thetas[:, None])
                                       - g[None, :]), axis=1)
            theta[j] = thetas[np.argmin(loss[:, mgrid - 1], axis=0)]  # first on ties
        return mgrid, theta
    truth_s = sc_truth_score(mid, sigma_t)
    errs = np.empty((n_seeds, mgrid.size, mid.size))
    for j in range(n_seeds):
        x0 = SC_TRUTH.sample(m_max, seed=seed * 100_003 + j)
        for k, m in enumerate(mgrid):
            fit = fit_mixture(x0[:m], [t], 2, restarts=0, init=SC_TRUTH,
                              seed=seed * 100_003 + j + 7)
            errs[j, k] = fit.models[0].score(mid[:, None])[:, 0] - truth_s
    return mgrid, errs


def _first_crossing(mgrid, rate, level):
    """m where ``rate`` first reaches ``level`` (log-linear interpolation); NaN if never."""
    ok = np.flatnonzero(rate >= level)
    if ok.size == 0:
        return float("nan")
    k = int(ok[0])
    if k == 0:
        return float(mgrid[0])
    r0, r1 = rate[k - 1], rate[k]
    f = (level - r0) / (r1 - r0)
    return float(np.exp(np.log(mgrid[k - 1]) + f * (np.log(mgrid[k]) - np.log(mgrid[k - 1]))))


def _m_star(mgrid, succ, n, delta_train):
    level = 1.0 - delta_train
    rate = succ / n
    # One-standard-error (68.3%) Clopper–Pearson limits: the verdict widens by K_SIGMA.
    lo, hi = clopper_pearson(succ, np.full_like(succ, n), ONE_SIGMA)
    m_star = _first_crossing(mgrid, rate, level)
    m_slow = _first_crossing(mgrid, lo, level)  # pessimistic
    m_fast = _first_crossing(mgrid, hi, level)
    if not np.isfinite(m_slow):
        m_slow = float(mgrid[-1])
    return m_star, 0.5 * abs(m_slow - m_fast), rate


def _pair_error_rate(sigma_t, m_max, n_seeds, seed):
    """L² error rate of the ERM over {s₁, s₂} (both empirical losses summed and compared) on
    m = 1 … m_max samples of p₁ in Setting 1.1 at σ_t, averaged over seeds: per seed and m the
    ERM errs (chooses s₂) with probability 1[L₂ < L₁] + ½·1[L₂ = L₁] (the tie-break coin is
    independent of the data, so it is averaged out exactly). Returns (rate (m_max,), eta,
    the wrong candidate's L² error)."""
    eta = 4 * SC_PAIR_EPS**2 * sigma_t**2 / SC_PAIR_R**2
    gen = np.random.default_rng([seed, int(round(sigma_t * 1e6)), _SCQ_TAG])
    err = np.zeros(m_max)
    for _ in range(n_seeds):
        far = gen.random(m_max) < eta
        xi = gen.standard_normal(m_max)
        y = np.where(far, -SC_PAIR_R, 0.0) + sigma_t * xi
        s1, s2 = pair_scores(y, eta, SC_PAIR_R, sigma_t)
        d = np.cumsum(np.square(s1 + xi / sigma_t) - np.square(s2 + xi / sigma_t))
        err += (d > 0) + 0.5 * (d == 0)
    gap = instances.lemma_4_1_l2_gap(SC_PAIR_R, 2 * SC_PAIR_EPS, sigma_t)
    return err / n_seeds, eta, gap


def _exact_m_star(error_rate, level, n):
    """m* = the smallest m (every integer, no interpolation) with 1 − error rate ≥ level;
    uncertainty half the spread of the crossings of the rate's ± 1 s.e. band (the verdict
    widens it by K_SIGMA). NaN (censored above) if the rate never gets there."""
    ok = 1.0 - error_rate
    se = np.sqrt(np.maximum(ok * (1 - ok), 0.25 / n) / n)
    z = 1.0

    def first(x):
        k = np.flatnonzero(x >= level)
        return float(k[0] + 1) if k.size else float("nan")

    m, slow, fast = first(ok), first(ok - z * se), first(ok + z * se)
    if not math.isfinite(slow):
        slow = float(error_rate.size)
    return m, 0.5 * abs(slow - fast)


def _sc_measure(cls, eps, delta_score, delta_train, sigma_t, m_max, n_seeds, seed,
                theta_offset):
    if cls not in SC_CLASSES:
        raise ValueError(f"cls: must be one of {SC_CLASSES}, got {cls!r}")
    eps, sigma_t = _check_pos("eps", eps), _check_prob("sigma_t", sigma_t)
    delta_score, delta_train = (_check_prob("delta_score", delta_score),
                                _check_prob("delta_train", delta_train))
    m_max, n = _check_count("m_max", m_max, 20), _check_count("n_seeds", n_seeds)
    seed = _check_count("seed", seed, 0)
    theta_offset = float(theta_offset)
    if not (math.isfinite(theta_offset) and abs(theta_offset) <= 1.0):
        raise ValueError(f"theta_offset: must be finite with |offset| <= 1, got {theta_offset!r}")
    if cls == "l2_pair":
        rate, eta, gap = _pair_error_rate(sigma_t, m_max, n, seed)
        if not gap > SC_PAIR_EPS**2 / sigma_t**2:
            raise RuntimeError("l2_pair: the wrong candidate's L2 error is below the target")
        level = 1.0 - delta_train
        # L²: choosing s₂ is an L² error ≈ ηR²/σ⁴ > ε²/σ_t².
        m_l2, u_l2 = _exact_m_star(rate, level, n)
        # D^δ: the chosen score's exact D^δ under p₁ (``pair_quantile_error_log10``): 0 for
        # s₁, D^δ(s₂) for s₂; a seed fails only if it chose s₂ and D^δ(s₂) > ε/σ_t.
        log10_d2 = pair_quantile_error_log10(eta, SC_PAIR_R, delta_score, sigma_t)
        s2_fails = log10_d2 > math.log10(SC_PAIR_EPS / sigma_t)
        m_q, u_q = _exact_m_star(rate if s2_fails else np.zeros_like(rate), level, n)
        m_pred = math.log(2 * delta_train) / math.log1p(-eta)
        return dict(m_star=m_l2, uncertainty=u_l2, m_star_quantile=m_q,
                    uncertainty_quantile=u_q, quantile_censored=bool(m_q <= 1),
                    log10_quantile_error_s2=log10_d2, eta=eta, l2_gap_wrong=gap,
                    l2_target=SC_PAIR_EPS**2 / sigma_t**2, m_star_l2_predicted=m_pred,
                    n_seeds=n, censored=not math.isfinite(m_l2))
    if cls != "finite" and theta_offset != 0:
        raise ValueError("theta_offset: only the finite class has a shift grid to offset")
    mgrid, dval, l2val = _sc_trained_errors(cls, sigma_t, m_max, n, seed, float(theta_offset),
                                            delta_score)
    succ = (dval <= eps / sigma_t).sum(axis=0).astype(float)
    succ_l2 = (l2val <= eps**2 / sigma_t**2).sum(axis=0).astype(float)
    m_star, unc, rate = _m_star(mgrid, succ, n, delta_train)
    m_l2, u_l2, _ = _m_star(mgrid, succ_l2, n, delta_train)
    return dict(m_star=m_star, uncertainty=unc, m_star_l2=m_l2, uncertainty_l2=u_l2,
                rate=rate.tolist(), m_grid=mgrid.tolist(), n_seeds=n, m_max=float(mgrid[-1]),
                censored=bool(m_star <= mgrid[0] or not math.isfinite(m_star)))


@functools.lru_cache(maxsize=64)
def _sc_trained_errors(cls, sigma_t, m_max, n_seeds, seed, theta_offset, delta_score):
    """(m grid, D^δ (n_seeds, n_m), L² (n_seeds, n_m)) of the trained scores under q_t
    (quadrature cells); cached per δ, shared by every ε."""
    mgrid, out = _sc_errors(cls, sigma_t, m_max, n_seeds, seed, theta_offset)
    mid, mass = _quadrature(sigma_t)
    if cls == "finite":
        uniq = np.unique(out)
        truth_s = sc_truth_score(mid, sigma_t)
        dq = {th: weighted_quantile_error(sc_truth_score(mid, sigma_t, th) - truth_s, mass,
                                          delta_score) for th in uniq}
        l2 = {th: float(mass @ np.square(sc_truth_score(mid, sigma_t, th) - truth_s))
              for th in uniq}
        return mgrid, np.vectorize(dq.get)(out), np.vectorize(l2.get)(out)
    if delta_score in SC_DELTAS:  # one sort per trained score serves every grid δ
        dval = _quantiles_all_deltas(cls, sigma_t, m_max, n_seeds, seed,
                                     theta_offset)[SC_DELTAS.index(delta_score)]
    else:
        dval = np.apply_along_axis(weighted_quantile_error, 2, out, mass, delta_score)
    return mgrid, dval, np.square(out) @ mass


def _quantiles_multi(err, mass, deltas):
    """``weighted_quantile_error`` of one error function at several δ (one sort; the same
    numbers as separate calls)."""
    a = np.abs(np.asarray(err, float))
    order = np.argsort(-a)
    cum = np.cumsum(mass[order])
    k = np.minimum(np.searchsorted(cum, deltas, side="right"), a.size - 1)
    return a[order][k]


@functools.lru_cache(maxsize=8)
def _quantiles_all_deltas(cls, sigma_t, m_max, n_seeds, seed, theta_offset):
    """D^δ (len(SC_DELTAS), n_seeds, n_m) of the trained scores at every grid δ."""
    _, out = _sc_errors(cls, sigma_t, m_max, n_seeds, seed, theta_offset)
    _, mass = _quadrature(sigma_t)
    d = np.asarray(SC_DELTAS, float)
    res = np.empty((d.size,) + out.shape[:2])
    for j in range(out.shape[0]):
        for k in range(out.shape[1]):
            res[:, j, k] = _quantiles_multi(out[j, k], mass, d)
    return res


@functools.lru_cache(maxsize=64)
def _finite_class_errors(sigma_t, theta_offset, delta_score):
    """Sorted σ_t·D^δ_{q_t}(s_θ, s_t) over the finite class's θ (quadrature cells)."""
    if delta_score in SC_DELTAS:
        return _finite_class_errors_all(sigma_t, theta_offset)[SC_DELTAS.index(delta_score)]
    mid, mass = _quadrature(sigma_t)
    truth_s = sc_truth_score(mid, sigma_t)
    thetas = np.round(SC_THETAS + theta_offset, 6)
    return np.sort([sigma_t * weighted_quantile_error(sc_truth_score(mid, sigma_t, th) - truth_s,
                                                      mass, delta_score) for th in thetas])


@functools.lru_cache(maxsize=8)
def _finite_class_errors_all(sigma_t, theta_offset):
    mid, mass = _quadrature(sigma_t)
    truth_s = sc_truth_score(mid, sigma_t)
    thetas = np.round(SC_THETAS + theta_offset, 6)
    d = np.asarray(SC_DELTAS, float)
    vals = np.array([_quantiles_multi(sc_truth_score(mid, sigma_t, th) - truth_s, mass, d)
                     for th in thetas])  # (n_θ, n_δ)
    return np.sort(sigma_t * vals, axis=0).T


def finite_effective_eps(eps: float, delta_score: float, sigma_t: float,
                         theta_offset: float = 0.0) -> float:
    """The finite class's resolution of ε: the largest σ_t·D^δ of a class member that is ≤ ε.

    Success (D^δ(ŝ) ≤ ε/σ_t) depends on ε only through the set of admissible class members,
    so m*(ε) = m*(ε_eff) exactly and m* is a staircase in ε; its rate in ε is read against
    ε_eff. 0 when only the truth (D^δ = 0) is admissible: below the class's resolution.

    Parameters
    ----------
    eps : float
        ε.
    delta_score : float
        δ of the score's quantile error.
    sigma_t : float
        σ_t of the training time.
    theta_offset : float
        Offset of the finite class's grid.

    Returns
    -------
    float
        ε_eff; NaN when no member (not even the truth) is admissible.
    """
    errs = _finite_class_errors(float(sigma_t), float(theta_offset), float(delta_score))
    k = int(np.searchsorted(errs, float(eps), side="right"))
    return float(errs[k - 1]) if k else float("nan")


SC_DELTAS = (1e-4, 2e-4, 4e-4, 7e-4, 1e-3, 3e-3, 1e-2, 3e-2)


def _sc_grid(quick):
    # ≥ 5 ε values over a factor ≥ 10 per class, 5 δ values (both slopes powered).
    # ε and δ values are cheap (thresholds of one cached simulation per class); seeds are not.
    deltas = list(SC_DELTAS)
    # ε over a factor ≥ 10; the finite class from 0.1, where m* lies inside the m grid at every
    # δ (full sweep of 2026-11-30: ε = 0.05, 0.07 need m > m_max at δ ≤ 3e-4).
    eps_fin = [0.1, 0.14, 0.2, 0.28, 0.4, 0.56, 0.8, 1.1]
    eps_mix = [0.3, 0.42, 0.6, 0.85, 1.2, 1.7, 2.4, 3.4]
    fin = dict(m_max=20_000, n_seeds=100 if quick else 1000)
    mix = dict(m_max=10_000, n_seeds=30 if quick else 200)
    pts = [dict(cls="finite", eps=e, delta_score=d, **fin)
           for e, d in itertools.product(eps_fin, deltas)]
    pts += [dict(cls="mixture", eps=e, delta_score=d, **mix)
            for e, d in itertools.product(eps_mix, deltas)]
    sig = (0.07, 0.1, 0.14, 0.2, 0.3) if quick else (0.05, 0.07, 0.1, 0.14, 0.2, 0.3, 0.4)
    pts += [dict(cls="l2_pair", eps=SC_PAIR_EPS, delta_score=0.01, sigma_t=s, m_max=20_000,
                 n_seeds=200 if quick else 1000) for s in sig]
    return pts


# Negative control: the finite class shifted by 0.2 (θ ∈ [0.05, 0.35]: the truth θ = 0 is
# not in it, breaking Lemma A.2's hypothesis): at ε = 0.07 no θ of the class has D^δ ≤ ε/σ_t,
# m* lies beyond the grid and beyond the ledger's C·B.
SC_CONTROLS = {"misspecified_class": [
    dict(cls="finite", eps=0.07, delta_score=d, m_max=20_000, n_seeds=30, theta_offset=0.2)
    for d in (3e-3, 3e-2)]}
# The δ-slope is a rate towards δ → 0: fitted over the grid's DELTA_SLOPE_VALUES smallest δ
# (m*(δ) is not a power law over the whole grid: c(δ) saturates, module docstring).
DELTA_SLOPE_VALUES = 5
SC_KEYS = {"finite": "gupta2024.lemma_a2", "mixture": "gupta2024.lemma_a1"}


def _within_delta_slope(eps, delta, m_star):
    """ε-slope of log m* with one intercept per δ (least squares, within-δ demeaning), its
    95% half-width (t with n − n_δ − 1 dof), and the fitted intercepts per δ."""
    le, lm = np.log(eps), np.log(m_star)
    ud = np.unique(delta)
    xe, ym = le.copy(), lm.copy()
    for dv in ud:
        sel = delta == dv
        xe[sel] -= le[sel].mean()
        ym[sel] -= lm[sel].mean()
    sxx = float(xe @ xe)
    if sxx <= 0:
        return float("nan"), float("inf"), {}
    b = float(xe @ ym) / sxx
    dof = eps.size - ud.size - 1
    if dof < 1:
        return b, float("inf"), {}
    resid = ym - b * xe
    half = float(stats.t.ppf(0.975, dof) * math.sqrt(resid @ resid / dof / sxx))
    icpt = {float(dv): float(np.mean(lm[delta == dv] - b * le[delta == dv])) for dv in ud}
    return b, half, icpt


def _powered(parameter, slope, half, n_values, exponent, direction, alternative):
    """A ``Slope`` with the state rules of ``verdict.slope_check`` for a slope fitted here."""
    limit = half_width_limit(exponent, alternative)
    if n_values < MIN_SLOPE_VALUES:
        state, reason = INCONCLUSIVE, f"only {n_values} distinct values (< {MIN_SLOPE_VALUES})"
    elif not half <= limit:
        state, reason = INCONCLUSIVE, (f"95% half-width {half:.3g} above the limit {limit:.3g} "
                                       f"needed to tell {exponent:g} from {alternative:g}")
    elif (slope < exponent - half) if direction == "to_zero" else (slope > exponent + half):
        state, reason = FAILS, f"slope {slope:.3f} ± {half:.3f} beyond bound exponent {exponent:g}"
    else:
        state, reason = HOLDS, ""
    return Slope(parameter, float(slope), float(half), float(exponent), direction, state=state,
                 reason=reason, n_values=int(n_values), half_width_limit=float(limit),
                 alternative=float(alternative))


def _beyond_grid_check(key, m_max, bound, points):
    """Points whose m* lies beyond the m grid (m* > m_max): fails if m_max alone needs a
    larger constant than the ledger's (the measurement proves m* > m_max > C·B). Where
    C·B > m_max the point is outside the measurement's resolution: reported as unresolved,
    not judged (it could not fail). Inconclusive only without a pinned constant."""
    from diffbounds.claims.ledger import load_ledger

    entry = load_ledger().get(key)
    need = m_max / bound
    i = int(np.argmax(need))
    name = f"m* beyond the grid ({key})"
    if entry is None:
        return Check(name, "ledger", INCONCLUSIVE,
                     f"m* > m_max at {len(points)} point(s), no pinned constant for {key}",
                     value=float(need[i]))
    C = entry.constant
    if need[i] > C * (1 + ROUNDOFF):
        return Check(name, "ledger", FAILS,
                     f"{key} needs a larger constant: m* > m_max = {m_max[i]:.0f} needs "
                     f"> {need[i]:.4g} vs pinned {C:.4g} at {points[i]}",
                     value=float(need[i]), limit=C, margin=float(need[i] / C))
    return Check(name, "ledger", HOLDS, "", value=float(need[i]), limit=C,
                 margin=float(need[i] / C),
                 details=dict(unresolved=len(points), note=(
                     "m* > m_max where C·B > m_max: outside the grid's resolution, consistent "
                     "with the pinned constant, not judged further")))


def _sc_bound(cls, eps, delta, delta_train):
    if cls == "finite":
        stmt = bounds.get("gupta2024.lemma_a2")
        return stmt, np.asarray(stmt.evaluate(epsilon=eps, delta_score=delta, d=1,
                                              H=SC_THETAS.size, delta_train=delta_train, C=1.0),
                                float)
    stmt = bounds.get("gupta2024.lemma_a1")
    return stmt, np.asarray(stmt.evaluate(
        epsilon=eps, delta_score=delta, d=1, P=6, D=1, Theta=SC_THETA_BOUND,
        m_2=math.sqrt(SC_TRUTH.second_moment()), delta_train=delta_train, C=1.0), float)


def _sc_verdict(points, rows):
    cls = np.array([p["cls"] for p in points])
    per_class, slopes, checks, notes = {}, [], [], []
    for c in ("finite", "mixture"):
        sel = np.flatnonzero(cls == c)
        if sel.size == 0:
            continue
        pts = [points[i] for i in sel]
        rr = [rows[i] for i in sel]
        eps, delta = _column(pts, "eps"), _column(pts, "delta_score")
        ms, unc = _column(rr, "m_star"), _column(rr, "uncertainty")
        m_max = _column(rr, "m_max")
        stmt, bound = _sc_bound(c, eps, delta, pts[0]["delta_train"])
        found = np.isfinite(ms)
        below = found & (ms <= np.array([r["m_grid"][0] for r in rr], float))
        above = found & (ms >= np.array([r["m_grid"][-1] for r in rr], float))
        keys = [{k: p[k] for k in ("cls", "eps", "delta_score", "theta_offset")} for p in pts]
        pinned = None
        # Censored below (m* ≤ the grid's smallest m) gives only m* ≤ m_min: lower end 0, so it
        # can never need a larger constant; it is reported (``censored_below``), not checked.
        resolved = found & ~below
        if resolved.any():
            checks.append(ledger_check(
                SC_KEYS[c], ms[resolved], bound[resolved], uncertainty=unc[resolved],
                points=[k for k, f in zip(pts, resolved, strict=True) if f],
                claim="sample_complexity_quantile", name=f"{c}: m* <= C B ({stmt.key})"))
            pinned = checks[-1].limit
        if (~found).any():
            checks.append(_beyond_grid_check(SC_KEYS[c], m_max[~found], bound[~found],
                                              [k for k, f in zip(keys, found, strict=True)
                                               if not f]))
            notes.append(f"{c}: m* beyond the m grid at {int((~found).sum())} point(s)")
        # Slopes: censored points (m* at the grid's smallest m, or beyond its largest) excluded.
        # The finite class resolves ε only to its members' D^δ: its ε-slope is read against
        # ε_eff (``finite_effective_eps``; points where only the truth is admissible excluded).
        if c == "finite":
            eps_fit = np.array([finite_effective_eps(p["eps"], p["delta_score"], p["sigma_t"],
                                                     p["theta_offset"]) for p in pts])
        else:
            eps_fit = eps.copy()
        use = found & ~below & ~above & (eps_fit > 0)
        ud = np.unique(delta[use])
        keep = use.copy()
        for dv in ud:  # a δ with a single uncensored ε carries no ε information
            if np.sum(use & (delta == dv)) < 2:
                keep &= delta != dv
        b, half, icpt = _within_delta_slope(eps_fit[keep], delta[keep], ms[keep])
        e_eps = float(stmt.exponent("epsilon"))
        slopes.append(_powered(f"{c}:epsilon", b, half, np.unique(eps_fit[keep]).size, e_eps,
                               "to_zero", e_eps - 0.5))
        e_del = float(stmt.exponent("delta_score"))
        if len(icpt) >= 3:
            dv = np.array(sorted(icpt))[:DELTA_SLOPE_VALUES]
            s_d = slope_check(f"{c}:delta_score", dv, np.exp([icpt[v] for v in dv]), e_del,
                              "to_zero")
        else:
            s_d = _powered(f"{c}:delta_score", float("nan"), float("inf"), len(icpt), e_del,
                           "to_zero", e_del - 0.5)
        slopes.append(s_d)
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            udd = np.unique(delta)
            local = [float(np.nanmean(np.log(ms[delta == bb] / ms[delta == aa])
                                      / np.log(bb / aa)))
                     for aa, bb in zip(udd[:-1], udd[1:], strict=True)]
        per_class[c] = dict(eps=eps, delta_score=delta, m_star=ms, uncertainty=unc,
                            bound=bound, statement=stmt.key, ledger_key=SC_KEYS[c],
                            ledger_constant=pinned,
                            m_star_l2=_column(rr, "m_star_l2"),
                            eps_in_slope=eps_fit,
                            epsilon_slope_against_nominal_eps=dict(zip(
                                ("slope", "half_width"),
                                _within_delta_slope(eps[keep], delta[keep], ms[keep])[:2],
                                strict=True)),
                            censored_below=below, censored_above=above, beyond_grid=~found,
                            used_in_slopes=keep,
                            intercepts_per_delta=icpt,
                            local_delta_slopes=dict(between=udd, slope=local))
    sel = np.flatnonzero(cls == "l2_pair")
    if sel.size:
        pts = [points[i] for i in sel]
        rr = [rows[i] for i in sel]
        sig, ml2 = _column(pts, "sigma_t"), _column(rr, "m_star")
        unc = _column(rr, "uncertainty")
        mq, pred = _column(rr, "m_star_quantile"), _column(rr, "m_star_l2_predicted")
        eta = _column(rr, "eta")
        e = float(bounds.get("gupta2024.lemma_4_1").exponent("sigma"))
        ok = np.isfinite(ml2)
        if ok.sum() >= 3:
            # A necessary-samples (lower bound) rate as σ_t → 0: slope ≤ −2 + h; observable −2
            # up to −log(1−η)/η − 1 ≤ η/(1−η) (m*_L2 = log(2δ_train)/log(1−η) exactly).
            slopes.append(slope_check(
                "l2_pair:sigma_t", sig[ok], ml2[ok], e, "to_infinity", alternative=e + 1.0,
                observable=e, observable_tolerance=float(2 * np.max(eta / (1 - eta)))))
        else:
            notes.append("l2_pair: m*_L2 beyond the m grid")
            slopes.append(_powered("l2_pair:sigma_t", float("nan"), float("inf"),
                                   int(ok.sum()), e, "to_infinity", e + 1.0))
        dev = np.abs(ml2 - pred)
        checks.append(shape_check(
            "l2_pair: m*_L2 = log(2 delta_train)/log(1 - eta)",
            bool(np.all(ok) and np.all(dev <= K_SIGMA * unc)),
            f"measured m*_L2 {ml2.tolist()} vs exact {np.round(pred).tolist()} "
            f"(± {K_SIGMA:g}·unc {unc.tolist()})",
            value=float(np.nanmax(dev / np.maximum(unc, 1e-300))), limit=K_SIGMA))
        checks.append(shape_check(
            "l2_pair: m*_quantile <= m*_L2", bool(np.all(mq <= ml2)),
            "quantile accuracy needed more samples than L2 accuracy",
            m_star_quantile=mq, m_star_l2=ml2))
        per_class["l2_pair"] = dict(sigma_t=sig, m_star_l2=ml2, m_star_quantile=mq,
                                    m_star_l2_predicted=pred, uncertainty=unc, eta=eta,
                                    quantile_censored=[r["quantile_censored"] for r in rr],
                                    log10_quantile_error_s2=_column(
                                        rr, "log10_quantile_error_s2"),
                                    l2_gap_wrong=_column(rr, "l2_gap_wrong"))
    return ClaimRecord(
        name="sample_complexity_quantile",
        statements=["gupta2024.lemma_a2", "gupta2024.lemma_a1", "gupta2024.lemma_4_1"],
        params=dict(cls=cls, eps=_column(points, "eps"),
                    delta_score=_column(points, "delta_score"),
                    delta_train=points[0]["delta_train"], sigma_t=_column(points, "sigma_t"),
                    thetas=[float(SC_THETAS[0]), float(SC_THETAS[-1]), SC_THETAS.size],
                    theta_offset=_column(points, "theta_offset"), truth=SC_TRUTH.to_dict()),
        predicted={c: v.get("bound") for c, v in per_class.items() if "bound" in v},
        measured=dict(m_star=_column(rows, "m_star")),
        ratio={c: (v["m_star"] / v["bound"]) for c, v in per_class.items() if "bound" in v},
        fitted_constant=None, uncertainty=_column(rows, "uncertainty"), slopes=slopes,
        checks=checks,
        details=dict(per_class=per_class, notes=notes,
                     slope_design=("epsilon: one least-squares slope with one intercept per "
                                   "delta; delta: the slope of those intercepts; censored "
                                   "points (m* at the grid's smallest m or beyond its "
                                   "largest) excluded")))


SAMPLE_COMPLEXITY_QUANTILE_SPECS = dict(
    cls=choice(*SC_CLASSES), eps=positive(), delta_score=probability(),
    delta_train=probability(), sigma_t=probability(), m_max=integer(20), n_seeds=integer(1),
    seed=claim_seed(), theta_offset=real(-1.0, 1.0))
SAMPLE_COMPLEXITY_QUANTILE = Claim(
    "sample_complexity_quantile", ("gupta2024.lemma_a2", "gupta2024.lemma_a1",
                                   "gupta2024.lemma_4_1"),
    dict(cls="finite", eps=0.1, delta_score=0.01, delta_train=0.1, sigma_t=0.3,
         m_max=10_000, n_seeds=200, seed=3, theta_offset=0.0),
    _sc_measure, _sc_grid, _sc_verdict, SCQ_DOC,
    controls=(Control("misspecified_class", "finite class shifted by 0.2 (truth not in the "
                      "class, Lemma A.2's hypothesis broken): m* beyond the grid and C·B",
                      lambda quick: SC_CONTROLS["misspecified_class"]),),
    parameter_specs=SAMPLE_COMPLEXITY_QUANTILE_SPECS)

CLAIM = SAMPLE_COMPLEXITY_QUANTILE
