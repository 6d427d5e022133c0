"""Claim ``figure_1``: Figure 1 (right panel): P[ERM error > 0] in L² and in D^δ vs m (§4, Lemma
4.1).

Measure per grid point, grid and verdict; registered in ``claims.registry``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from diffbounds.bounds import instances
from diffbounds.claims._claim import Claim, Control, claim_seed, integer, positive, probability
from diffbounds.claims._training_common import (
    _CHUNK,
    _FIG1_TAG,
    FAMILY_ALPHA,
    _check_count,
    _check_pos,
    _check_prob,
    _column,
    clopper_pearson,
    pair_quantile_error_log10,
    pair_scores,
)
from diffbounds.claims.lemma_4_1 import LEMMA41_KEY
from diffbounds.claims.verdict import (
    ClaimRecord,
    ledger_check,
    shape_check,
)

FIGURE1_DOC = """Figure 1 (right panel): P[ERM error > 0] in L² and in D^δ vs m (§4, Lemma 4.1).

p₁ = (1−η)N(0,1) + ηN(−R,1), p₂ its mirror (η = 0.001, R = 10⁴, δ = 0.01). Each seed draws m
samples of p₁ in Setting 1.1 at σ = 1 (component label ~ Bernoulli(η), x = ∓R·label + z,
target −z) and takes the exact ERM over {s₁, s₂} of eq. (4): both empirical losses are
summed and compared, ties broken by a fair coin of the seed's generator. Vectorized over
seeds (``pair_scores``, identical to the mixtures' scores); the outcome is simulated, not
computed from the prediction. With R = 10⁴ the far-component posterior underflows to 0 at
every main-component point, so there s₁ = s₂ bit for bit: the losses tie exactly unless a far
sample was drawn, and then s₁ wins by ≈ R² per far sample. Hence P[L² error > 0] =
P[ERM = s₂] = ½(1−η)^m exactly (E_{p₁}‖s₂ − s₁‖² ≈ ηR² = 10⁵ when it errs).
D^δ, per seed: the chosen score's error D^δ_{p₁}(ŝ, s₁), the (1−δ)-quantile of |ŝ − s₁|
under the true law p₁, computed exactly in 1-D (``pair_quantile_error_log10``: |s₂ − s₁| is even
and increasing in |x|, so the quantile is |s₂ − s₁| at the u with P_{p₁}[|X| ≥ u] = δ). It is 0
when the ERM chose s₁ and D^δ(s₂) otherwise. With δ = 0.01 > η the far component lies above
the quantile and log₁₀ D^δ(s₂) = −2.17·10⁷: positive, but below any accuracy one could ask
for. A seed's D^δ "error > 0" is therefore read as D^δ > ``quantile_tolerance`` (1e-9, score
units 1/σ); every tolerance between 10^{−2.17·10⁷} and R/σ² gives the same counts here, and
the record carries the exact log₁₀ D^δ(s₂) next to the tolerance.
Control (``FIGURE1_CONTROLS``): δ = 5·10⁻⁴ < η puts the far component inside the quantile,
D^δ(s₂) ≈ R/σ² = 10⁴, so every seed that chose s₂ fails in D^δ too and the measured D^δ
failure rate is ½(1−η)^m, not 0: the same verdict must reject it.
Verdict: at every m, ½(1−η)^m lies in the Clopper–Pearson interval of the measured L²
failure rate, and 0 in that of the D^δ failure rate; the intervals have confidence
1 − 0.01/(number of m) each (Bonferroni), so a true prediction is rejected somewhere with
probability ≤ 1%. No constant is fitted (the prediction is exact)."""


def _figure1_measure(m, eta, R, delta, n_seeds, seed, quantile_tolerance):
    m, n = _check_count("m", m), _check_count("n_seeds", n_seeds)
    eta, delta, R = _check_prob("eta", eta), _check_prob("delta", delta), _check_pos("R", R)
    tol = _check_pos("quantile_tolerance", quantile_tolerance)
    gen = np.random.default_rng([_check_count("seed", seed, 0), m, _FIG1_TAG])
    chose_s2 = np.empty(n, bool)
    tied = np.empty(n, bool)
    n_far = np.empty(n, np.int64)
    chunk = max(1, _CHUNK // m)
    for s0 in range(0, n, chunk):
        b = min(chunk, n - s0)
        far = gen.random((b, m)) < eta
        z = gen.standard_normal((b, m))
        x = np.where(far, -R, 0.0) + z
        s1, s2 = pair_scores(x, eta, R)
        loss1 = np.square(s1 + z).sum(axis=1)  # target −z/σ² at σ = 1
        loss2 = np.square(s2 + z).sum(axis=1)
        coin = gen.random(b) < 0.5
        sl = slice(s0, s0 + b)
        tied[sl] = loss1 == loss2
        chose_s2[sl] = (loss2 < loss1) | (tied[sl] & coin)
        n_far[sl] = far.sum(axis=1)
    # Per seed, the chosen score's D^δ under p₁, exactly: 0 for s₁ (the truth), D^δ(s₂) else.
    log10_d2 = pair_quantile_error_log10(eta, R, delta)
    log10_chosen = np.where(chose_s2, log10_d2, -np.inf)
    q_fail = log10_chosen > math.log10(tol)
    return dict(l2_failures=int(chose_s2.sum()), quantile_failures=int(q_fail.sum()),
                n_seeds=n, ties=int(tied.sum()), no_far_sample=int((n_far == 0).sum()),
                log10_quantile_error_s2=log10_d2, log10_quantile_tolerance=math.log10(tol))


def log10_quantile_error_pair(eta: float, R: float, delta: float, sigma: float = 1.0) -> float:
    """Exact log₁₀ D^δ_{p₁}(s₂, s₁) (Lemma 4.1 pair, η < δ): the far component (mass η) lies
    above the quantile, so it is |s₂ − s₁| at u with 2(1−η)Φ̄(u/σ) = δ − η.

    Parameters
    ----------
    eta : float
        Mass η of the far component, in (0, 1).
    R : float
        Distance of the far component, > 0.
    delta : float
        δ in (η, 1).
    sigma : float
        Standard deviation σ of the components.

    Returns
    -------
    float
        log₁₀ of the quantile error D^δ (units of the score).

    Raises
    ------
    ValueError
        ``eta`` or ``delta`` not in (0, 1), or ``delta`` <= ``eta``.
    """
    eta, delta = _check_prob("eta", eta), _check_prob("delta", delta)
    if not delta > eta:
        raise ValueError(f"delta: this closed form needs delta > eta (the far component "
                         f"inside the δ tail), got delta = {delta:g}, eta = {eta:g}")
    u = sigma * stats.norm.isf((delta - eta) / (2 * (1 - eta)))
    a = math.log(eta) - math.log1p(-eta)
    c = R * R / (2 * sigma * sigma)
    lg = np.logaddexp(-np.logaddexp(0, -(a + R * u / sigma**2 - c)),
                      -np.logaddexp(0, -(a - R * u / sigma**2 - c)))
    return float((math.log(R / sigma**2) + lg) / math.log(10))


def _figure1_grid(quick):
    exps = np.arange(1.0, 4.51, 0.5) if quick else np.arange(1.0, 5.01, 0.25)
    n = 400 if quick else 4000
    return [dict(m=int(round(10**e)), n_seeds=n) for e in exps]


# Negative control: δ < η (the far component inside the quantile), where the chosen s₂'s D^δ
# is ≈ R/σ², so the D^δ failure rate is ½(1−η)^m and the prediction 0 must be rejected.
FIGURE1_CONTROLS = {"delta_below_eta": [dict(m=m, n_seeds=400, delta=5e-4)
                                        for m in (10, 100, 300)]}


def _log10_tolerance(rows):
    return float(rows[0]["log10_quantile_tolerance"])


def _figure1_verdict(points, rows):
    p0 = points[0]
    eta, R, delta = p0["eta"], p0["R"], p0["delta"]
    for key in ("eta", "R", "delta", "quantile_tolerance"):
        if len({p[key] for p in points}) != 1:
            raise ValueError(f"points: figure_1's verdict needs one {key} over the grid")
    m = _column(points, "m")
    n = _column(rows, "n_seeds")
    k2, kq = _column(rows, "l2_failures"), _column(rows, "quantile_failures")
    conf = 1.0 - FAMILY_ALPHA / len(points)
    lo2, hi2 = clopper_pearson(k2, n, conf)
    loq, hiq = clopper_pearson(kq, n, conf)
    pred = 0.5 * (1.0 - eta) ** m
    ok_l2 = (lo2 <= pred) & (pred <= hi2)
    ok_q = loq <= 0.0
    l2_fail, q_fail = k2 / n, kq / n
    # Lemma 4.1's gap at this instance (ε = √η·R/σ, σ = 1) against the ledger's lower constant.
    eps = math.sqrt(eta) * R
    gap = instances.lemma_4_1_l2_gap(R, eps, 1.0)
    miss = np.maximum(lo2 - pred, pred - hi2)  # > 0: the prediction is outside the interval
    i2, iq = int(np.argmax(miss)), int(np.argmax(loq))
    checks = [
        shape_check("L2 failure rate = (1/2)(1 - eta)^m", bool(ok_l2.all()),
                    f"(1/2)(1-eta)^m = {pred[i2]:.4g} outside [{lo2[i2]:.4g}, {hi2[i2]:.4g}] at "
                    f"m = {m[i2]:g}", value=float(l2_fail[i2]), limit=float(pred[i2]),
                    margin=float(miss[i2]), margin_kind="difference"),
        shape_check("D^delta failure rate = 0", bool(ok_q.all()),
                    f"{int(kq[iq])}/{int(n[iq])} seeds chose a score with D^delta > "
                    f"{10 ** _log10_tolerance(rows):.3g} at m = {m[iq]:g} (interval lower end "
                    f"{loq[iq]:.4g} > 0)", value=float(q_fail[iq]), limit=0.0,
                    margin=float(loq[iq]) if loq[iq] > 0 else -float(hiq[iq]),
                    margin_kind="difference"),
        ledger_check(LEMMA41_KEY, [gap], [eps**2], uncertainty=[1e-10 * gap],
                     points=[points[0]], claim="figure_1",
                     name="Lemma 4.1 gap >= C eps^2/sigma^2 at the figure's pair")]
    return ClaimRecord(
        name="figure_1", statements=["gupta2024.lemma_4_1", "gupta2024.lemma_4_1_l2_gap"],
        params=dict(eta=eta, R=R, delta=delta, sigma=1.0, m=m, n_seeds=n,
                    seed=p0["seed"], confidence_per_point=conf, family_alpha=FAMILY_ALPHA),
        predicted=dict(m=m, l2_failure=pred, quantile_failure=np.zeros_like(pred)),
        measured=dict(m=m, l2_failure=l2_fail, quantile_failure=q_fail),
        ratio=dict(l2_failure=l2_fail / pred),
        checks=checks, fitted_constant=None,
        uncertainty=dict(l2_lower=lo2, l2_upper=hi2, quantile_lower=loq, quantile_upper=hiq),
        details=dict(
            l2_within_interval=ok_l2, quantile_within_interval=ok_q,
            ties=_column(rows, "ties"), no_far_sample=_column(rows, "no_far_sample"),
            log10_quantile_error_s2=_column(rows, "log10_quantile_error_s2"),
            log10_quantile_tolerance=_column(rows, "log10_quantile_tolerance"),
            l2_error_s2=gap, one_over_eta=1.0 / eta,
            multiple_testing="Bonferroni: each interval at confidence 1 - 0.01/len(m)"))


FIGURE_1_SPECS = dict(m=integer(1), eta=probability(), R=positive(), delta=probability(),
                      n_seeds=integer(1), seed=claim_seed(), quantile_tolerance=positive())
FIGURE_1 = Claim(
    "figure_1", ("gupta2024.lemma_4_1", "gupta2024.lemma_4_1_l2_gap"),
    dict(m=1000, eta=1e-3, R=1e4, delta=1e-2, n_seeds=400, seed=11, quantile_tolerance=1e-9),
    _figure1_measure, _figure1_grid, _figure1_verdict, FIGURE1_DOC,
    controls=(Control("delta_below_eta", "delta = 5e-4 < eta: the far component inside the "
                      "quantile, D^delta(s2) ~ R/sigma^2, so D^delta failures = L2 failures",
                      lambda quick: FIGURE1_CONTROLS["delta_below_eta"]),),
    parameter_specs=FIGURE_1_SPECS)

CLAIM = FIGURE_1
