"""Claim ``sample_complexity_quantile``: Lemmas A.1/A.2: the smallest m with D^δ_{q_t}(ŝ_t, s_t) ≤ ε/σ_t w.p. ≥ 1 − δ_train.

Measure per grid point, grid and verdict; registered in ``claims.registry``.
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
from scipy import stats

from diffbounds import bounds
from diffbounds.bounds import instances
from diffbounds.claims._claim import Claim, choice, claim_seed, integer, positive, probability
from diffbounds.claims._training_common import (
    _SCQ_TAG,
    _check_count,
    _check_pos,
    _check_prob,
    _column,
    clopper_pearson,
    pair_scores,
    two_sided_slope,
)
from diffbounds.claims.figure_1 import log10_quantile_error_pair
from diffbounds.claims.verdict import (
    K_SIGMA,
    ROUNDOFF,
    ClaimRecord,
    Slope,
    grid_boundary,
)
from diffbounds.simulators import GaussianMixture
from diffbounds.simulators.training import denoising_data, fit_mixture

SCQ_DOC = """Lemmas A.1/A.2: the smallest m with D^δ_{q_t}(ŝ_t, s_t) ≤ ε/σ_t w.p. ≥ 1 − δ_train.

Mixture class: ε ∈ {0.6, 1.2, 2.4} (its fits need ~10x the finite class's m at equal ε).
One dimension, one time (σ_t = 0.3), data law q₀ = ½N(−1, 0.04) + ½N(1, 0.04), Setting 1.1
data (``denoising_data``: m points reused, counter-based noise). Classes: "finite" — the 61
shifted truths s_t(· − θe^{−t}), θ ∈ [−0.15, 0.15] step 0.005 (Lemma A.2's hypothesis: the
truth is in the class), exact ERM by enumeration on nested prefixes of one m_max sample per
seed (equal to ``fit_finite`` on each prefix; closed-form score, tested); "mixture" —
``fit_mixture`` (K = 2, isotropic, started at the truth: the global minimiser of its basin).
For each m of a log grid the success rate over seeds is measured; m* is where it first
reaches 1 − δ_train (log-linear interpolation between grid points; its uncertainty is half the
spread of the m* read off the 99% Clopper–Pearson limits of the rates). D^δ and L² of each
trained score are computed on a 20 000-cell quadrature of q_t (not sampled). This is a
finite-grid estimate: m* is resolved to the grid (ratio 10^{1/4}) and the seeds' binomial noise.
Verdict per class: m* ≤ C·B(ε, δ) with B = Lemma A.2 (H = 61) / Lemma A.1 (P = 6, D = 1,
Θ = 10), C fitted on the (ε, δ) grid boundary and checked on its interior; the slopes of
log m* on log ε and log δ (joint least squares over the grid, 95% intervals) against the
exponents of the lemma (−2 and −1, from ``bounds``): towards ε, δ → 0, m* may grow slower than
the bound, never faster (slope ≥ exponent − half-width). m* grows much slower than 1/δ here:
the lemma's 1/δ is a worst case over distributions. For the finite (shift) class
m* ≈ c(δ)²/ε²·const with c(δ) the (1−δ)-quantile of σ_t|∂_θ s| under q_t: c ≈ 2.26 for
δ ≥ 0.03, 4.0 at 0.01, 12.1 at 3e-3, then it saturates at ≈ 14 (max |∂_θ s|, in the valley
between the modes, q_t-mass ≈ 0.005) for δ ≤ 1e-3. So the *local* δ-slope between 3e-3 and
3e-2 is ≈ −1.5, steeper than the lemma's −1 (m* is still ~100x below the bound with the
fitted C), while towards δ → 0 it flattens to 0; the grid spans δ ∈ [3e-4, 3e-2] (quick) /
[1e-4, 3e-2] (full) and the joint slope over it is what is judged; the local slopes between
neighbouring δ are in ``details`` (per class, ``local_delta_slopes``).
L² contrast ("l2_pair"): Lemma 4.1's pair at σ_t ∈ {0.1, 0.15, 0.2, 0.3}, η = 4ε²σ_t²/R² (R = 5,
ε = 0.5, so E‖s₂ − s₁‖² = 4ε²/σ_t² > ε²/σ_t²), ERM over {s₁, s₂} on Setting 1.1 data of p₁:
m*_L2 (L² error ≤ ε²/σ_t² w.p. ≥ 1 − δ_train) grows like 1/η ∝ σ_t^{−2}, the poly(1/σ_t) the
paper proves necessary, while D^{0.01} ≤ ε/σ_t already holds at the smallest m. The slope of
m*_L2 in σ_t must match the σ-exponent of ``gupta2024.lemma_4_1`` (−2) within its interval
+ 0.25 (the ½(1−η)^m ≤ δ_train threshold is 1/η only to first order)."""

SC_TRUTH = GaussianMixture([0.5, 0.5], [[-1.0], [1.0]], [0.04, 0.04])
SC_THETAS = np.round(np.linspace(-0.15, 0.15, 61), 6)
SC_THETA_BOUND = 10.0
SC_PAIR_R = 5.0
SC_PAIR_EPS = 0.5
SC_CLASSES = ("finite", "mixture", "l2_pair")


def _t_of_sigma(sigma_t):
    return -0.5 * math.log1p(-sigma_t * sigma_t)


def sc_truth_score(y, sigma_t, shift=0.0):
    """Exact score of q_t for SC_TRUTH (symmetric 2-component), at y − shift·e^{−t}:
    s(y) = (−y + μ_t tanh(μ_t y/v_t))/v_t, μ_t = e^{−t}, v_t = 0.04e^{−2t} + σ_t²."""
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


def weighted_quantile_error(err, mass, delta):
    """D^δ of |err| under cell masses: the smallest ε with mass{|err| ≥ ε} ≤ δ (upper
    quantile, paper eq. (6)), read off the cells sorted by |err|."""
    a = np.abs(np.asarray(err, float))
    order = np.argsort(-a)
    cum = np.cumsum(mass[order])
    k = int(np.searchsorted(cum, delta, side="right"))
    return float(a[order][min(k, a.size - 1)])


def _sc_mgrid(m_max, per_decade=4):
    k = int(round(per_decade * math.log10(m_max / 10.0)))
    return np.unique(np.round(np.logspace(1, math.log10(m_max), k + 1)).astype(int))


@functools.lru_cache(maxsize=16)
def _sc_errors(cls, sigma_t, m_max, n_seeds, seed):
    """Per (seed, m) the trained score's error function on the quadrature cells: returns
    (m grid, errors (n_seeds, n_m, cells)) — or for "finite" the chosen θ (n_seeds, n_m)."""
    t = _t_of_sigma(sigma_t)
    mgrid = _sc_mgrid(m_max) if cls == "finite" else _sc_mgrid(m_max, 2)
    mid, _ = _quadrature(sigma_t)
    if cls == "finite":
        theta = np.empty((n_seeds, mgrid.size))
        for j in range(n_seeds):
            x0 = SC_TRUTH.sample(m_max, seed=seed * 100_003 + j)
            data = denoising_data(x0, [t], seed=seed * 100_003 + j + 7)
            y, g = data.y[0, :, 0], data.target[0, :, 0]
            loss = np.cumsum(np.square(sc_truth_score(y[None, :], sigma_t, SC_THETAS[:, None])
                                       - g[None, :]), axis=1)
            theta[j] = SC_THETAS[np.argmin(loss[:, mgrid - 1], axis=0)]  # first on ties
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
    lo, hi = clopper_pearson(succ, np.full_like(succ, n), 0.99)
    m_star = _first_crossing(mgrid, rate, level)
    m_slow = _first_crossing(mgrid, lo, level)  # pessimistic
    m_fast = _first_crossing(mgrid, hi, level)
    if not np.isfinite(m_slow):
        m_slow = float(mgrid[-1])
    return m_star, 0.5 * abs(m_slow - m_fast), rate


def _pair_success(sigma_t, m_max, n_seeds, seed):
    """L² and D^δ success per m for the Lemma 4.1 pair at σ_t (ERM over {s₁, s₂})."""
    eta = 4 * SC_PAIR_EPS**2 * sigma_t**2 / SC_PAIR_R**2
    mgrid = _sc_mgrid(m_max)
    gen = np.random.default_rng([seed, int(round(sigma_t * 1e6)), _SCQ_TAG])
    chose2 = np.zeros((n_seeds, mgrid.size), bool)
    for j in range(n_seeds):
        far = gen.random(m_max) < eta
        xi = gen.standard_normal(m_max)
        y = np.where(far, -SC_PAIR_R, 0.0) + sigma_t * xi
        s1, s2 = pair_scores(y, eta, SC_PAIR_R, sigma_t)
        d = np.cumsum(np.square(s1 + xi / sigma_t) - np.square(s2 + xi / sigma_t))
        coin = gen.random(mgrid.size) < 0.5
        dm = d[mgrid - 1]
        chose2[j] = (dm > 0) | ((dm == 0) & coin)
    gap = instances.lemma_4_1_l2_gap(SC_PAIR_R, 2 * SC_PAIR_EPS, sigma_t)
    return mgrid, chose2, gap, eta


def _sc_measure(cls, eps, delta_score, delta_train, sigma_t, m_max, n_seeds, seed):
    if cls not in SC_CLASSES:
        raise ValueError(f"cls: must be one of {SC_CLASSES}, got {cls!r}")
    eps, sigma_t = _check_pos("eps", eps), _check_prob("sigma_t", sigma_t)
    delta_score, delta_train = (_check_prob("delta_score", delta_score),
                                _check_prob("delta_train", delta_train))
    m_max, n = _check_count("m_max", m_max, 20), _check_count("n_seeds", n_seeds)
    seed = _check_count("seed", seed, 0)
    if cls == "l2_pair":
        mgrid, chose2, gap, eta = _pair_success(sigma_t, m_max, n, seed)
        if not gap > SC_PAIR_EPS**2 / sigma_t**2:
            raise RuntimeError("l2_pair: the wrong candidate's L2 error is below the target")
        succ_l2 = (~chose2).sum(axis=0).astype(float)
        d2 = log10_quantile_error_pair(eta, SC_PAIR_R, delta_score, sigma_t)
        q_ok = d2 <= math.log10(SC_PAIR_EPS / sigma_t)
        succ_q = np.full(mgrid.size, float(n)) if q_ok else succ_l2
        m_l2, u_l2, rate_l2 = _m_star(mgrid, succ_l2, n, delta_train)
        m_q, u_q, _ = _m_star(mgrid, succ_q, n, delta_train)
        return dict(m_star=m_l2, uncertainty=u_l2, m_star_quantile=m_q,
                    uncertainty_quantile=u_q, eta=eta, l2_gap_wrong=gap,
                    l2_target=SC_PAIR_EPS**2 / sigma_t**2, rate=rate_l2.tolist(),
                    m_grid=mgrid.tolist(), n_seeds=n)
    mgrid, out = _sc_errors(cls, sigma_t, m_max, n, seed)
    _, mass = _quadrature(sigma_t)
    mid, _ = _quadrature(sigma_t)
    if cls == "finite":
        uniq = np.unique(out)
        truth_s = sc_truth_score(mid, sigma_t)
        dq = {th: weighted_quantile_error(sc_truth_score(mid, sigma_t, th) - truth_s, mass,
                                          delta_score) for th in uniq}
        l2 = {th: float(mass @ np.square(sc_truth_score(mid, sigma_t, th) - truth_s))
              for th in uniq}
        dval = np.vectorize(dq.get)(out)
        l2val = np.vectorize(l2.get)(out)
    else:
        dval = np.apply_along_axis(weighted_quantile_error, 2, out, mass, delta_score)
        l2val = np.square(out) @ mass
    succ = (dval <= eps / sigma_t).sum(axis=0).astype(float)
    succ_l2 = (l2val <= eps**2 / sigma_t**2).sum(axis=0).astype(float)
    m_star, unc, rate = _m_star(mgrid, succ, n, delta_train)
    m_l2, u_l2, _ = _m_star(mgrid, succ_l2, n, delta_train)
    return dict(m_star=m_star, uncertainty=unc, m_star_l2=m_l2, uncertainty_l2=u_l2,
                rate=rate.tolist(), m_grid=mgrid.tolist(), n_seeds=n,
                censored=bool(m_star <= mgrid[0]))


def _sc_grid(quick):
    deltas = [3e-4, 3e-3, 3e-2] if quick else [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]
    eps_fin = [0.1, 0.2, 0.4] if quick else [0.1, 0.14, 0.2, 0.28, 0.4]
    eps_mix = [0.6, 1.2, 2.4] if quick else [0.6, 0.85, 1.2, 1.7, 2.4]
    fin = dict(m_max=20_000, n_seeds=200 if quick else 1000)
    mix = dict(m_max=10_000, n_seeds=30 if quick else 200)
    pts = [dict(cls="finite", eps=e, delta_score=d, **fin)
           for e, d in itertools.product(eps_fin, deltas)]
    pts += [dict(cls="mixture", eps=e, delta_score=d, **mix)
            for e, d in itertools.product(eps_mix, deltas)]
    sig = (0.1, 0.15, 0.2, 0.3) if quick else (0.07, 0.1, 0.14, 0.2, 0.3, 0.4)
    pts += [dict(cls="l2_pair", eps=SC_PAIR_EPS, delta_score=0.01, sigma_t=s, m_max=20_000,
                 n_seeds=200 if quick else 1000) for s in sig]
    return pts


def _joint_slopes(eps, delta, m_star, stmt):
    """Slopes of log m* on (log ε, log δ) jointly (OLS, 95% intervals) vs the exponents."""
    X = np.column_stack([np.ones(eps.size), np.log(eps), np.log(delta)])
    y = np.log(m_star)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    dof = max(eps.size - 3, 1)
    resid = y - X @ coef
    cov = (resid @ resid / dof) * np.linalg.inv(X.T @ X)
    half = stats.t.ppf(0.975, dof) * np.sqrt(np.diag(cov))
    out = []
    for i, (name, sym) in enumerate((("epsilon", "epsilon"), ("delta_score", "delta_score")),
                                    start=1):
        e = float(stmt.exponent(sym))
        out.append(Slope(name, float(coef[i]), float(half[i]), e, "to_zero",
                         bool(coef[i] >= e - half[i])))
    return out


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
    per_class, slopes, holds, notes = {}, [], True, []
    consts, worsts = {}, {}
    for c in ("finite", "mixture"):
        sel = np.flatnonzero(cls == c)
        if sel.size == 0:
            continue
        pts = [points[i] for i in sel]
        rr = [rows[i] for i in sel]
        eps, delta = _column(pts, "eps"), _column(pts, "delta_score")
        ms, unc = _column(rr, "m_star"), _column(rr, "uncertainty")
        stmt, bound = _sc_bound(c, eps, delta, pts[0]["delta_train"])
        ok = np.isfinite(ms)
        ud = np.unique(delta)
        with np.errstate(invalid="ignore", divide="ignore"):
            local = [float(np.nanmean(np.log(ms[delta == b] / ms[delta == a]) / np.log(b / a)))
                     for a, b in zip(ud[:-1], ud[1:], strict=True)]
        entry = dict(eps=eps, delta_score=delta, m_star=ms, uncertainty=unc, bound=bound,
                     local_delta_slopes=dict(between=ud, slope=local),
                     m_star_l2=_column(rr, "m_star_l2"), statement=stmt.key,
                     censored=[r["censored"] for r in rr])
        if ok.sum() < 4:
            holds = False
            notes.append(f"{c}: m* found at only {int(ok.sum())} points (m grid too short)")
            per_class[c] = entry
            continue
        calib = grid_boundary(eps, delta)
        calib_ok = calib & ok
        C = float(np.max(ms[calib_ok] / bound[calib_ok]))
        held = ~calib & ok
        worst = (float(np.max((ms[held] - K_SIGMA * unc[held]) / (C * bound[held])))
                 if held.any() else float("nan"))
        cs = _joint_slopes(eps[ok], delta[ok], ms[ok], stmt)
        for s in cs:
            s.parameter = f"{c}:{s.parameter}"
        slopes += cs
        holds &= bool((not held.any() or worst <= 1.0 + ROUNDOFF) and all(s.holds for s in cs)
                      and ok.all())
        if not ok.all():
            notes.append(f"{c}: m* beyond the m grid at {int((~ok).sum())} points")
        consts[c], worsts[c] = C, worst
        entry.update(fitted_constant=C, held_out_worst_ratio=worst, calibration=calib)
        per_class[c] = entry
    sel = np.flatnonzero(cls == "l2_pair")
    if sel.size:
        pts = [points[i] for i in sel]
        rr = [rows[i] for i in sel]
        sig, ml2 = _column(pts, "sigma_t"), _column(rr, "m_star")
        mq = _column(rr, "m_star_quantile")
        e = bounds.get("gupta2024.lemma_4_1").exponent("sigma")
        if np.all(np.isfinite(ml2)) and sel.size >= 3:
            s = two_sided_slope("l2_pair:sigma_t", sig, ml2, e, 0.25)
            slopes.append(s)
            holds &= s.holds and bool(np.all(mq <= ml2))
        else:
            holds = False
            notes.append("l2_pair: m*_L2 beyond the m grid")
        per_class["l2_pair"] = dict(sigma_t=sig, m_star_l2=ml2, m_star_quantile=mq,
                                    uncertainty=_column(rr, "uncertainty"),
                                    eta=_column(rr, "eta"), l2_gap_wrong=_column(rr,
                                                                                 "l2_gap_wrong"))
    main = per_class.get("finite") or per_class.get("mixture") or {}
    return ClaimRecord(
        name="sample_complexity_quantile",
        statements=["gupta2024.lemma_a2", "gupta2024.lemma_a1", "gupta2024.lemma_4_1"],
        params=dict(cls=cls, eps=_column(points, "eps"),
                    delta_score=_column(points, "delta_score"),
                    delta_train=points[0]["delta_train"], sigma_t=_column(points, "sigma_t"),
                    thetas=[float(SC_THETAS[0]), float(SC_THETAS[-1]), SC_THETAS.size],
                    truth=SC_TRUTH.to_dict()),
        predicted={c: v.get("bound") for c, v in per_class.items() if "bound" in v},
        measured=dict(m_star=_column(rows, "m_star")),
        ratio={c: (v["m_star"] / v["bound"]) for c, v in per_class.items() if "bound" in v},
        holds=bool(holds), fitted_constant=main.get("fitted_constant"),
        uncertainty=_column(rows, "uncertainty"),
        held_out_worst_ratio=main.get("held_out_worst_ratio"), slopes=slopes,
        details=dict(per_class=per_class, fitted_constants=consts,
                     held_out_worst_ratios=worsts, notes=notes,
                     rates=[r["rate"] for r in rows], m_grids=[r["m_grid"] for r in rows]))


SAMPLE_COMPLEXITY_QUANTILE_SPECS = dict(
    cls=choice(*SC_CLASSES), eps=positive(), delta_score=probability(),
    delta_train=probability(), sigma_t=probability(), m_max=integer(20), n_seeds=integer(1),
    seed=claim_seed())
SAMPLE_COMPLEXITY_QUANTILE = Claim(
    "sample_complexity_quantile", ("gupta2024.lemma_a2", "gupta2024.lemma_a1",
                                   "gupta2024.lemma_4_1"),
    dict(cls="finite", eps=0.1, delta_score=0.01, delta_train=0.1, sigma_t=0.3,
         m_max=10_000, n_seeds=200, seed=3),
    _sc_measure, _sc_grid, _sc_verdict, SCQ_DOC,
    parameter_specs=SAMPLE_COMPLEXITY_QUANTILE_SPECS)

CLAIM = SAMPLE_COMPLEXITY_QUANTILE
