"""Claim ``frontier_w2``: trade-off curve γ*(ε) of sampler output vs q₀ against the early-stopping bound.

Measure per grid point, grid, verdict and negative control; registered in ``claims.registry``.
"""

from __future__ import annotations

import numpy as np

from diffbounds import bounds
from diffbounds.claims._claim import Claim, Control, claim_seed, integer, probability
from diffbounds.claims._propagation_common import B6_KEY, T_HORIZON, _column, _m2, b6_total
from diffbounds.claims.ledger import load_ledger
from diffbounds.claims.verdict import (
    INCONCLUSIVE,
    K_SIGMA,
    Check,
    ClaimRecord,
    ledger_check,
)
from diffbounds.simulators import GaussianMixture, metrics, sample, schedule

W2_KEY = "gupta2024.early_stop_w2"
# The ε grid of the trade-off curve γ*(ε), measured at every point.
EPS_GRID = (0.0, 0.05, 0.1, 0.2, 0.4)

FRONTIER_DOC = """Trade-off curve γ*(ε) of the sampler's output vs q₀ against the early-stopping bound.

For d = 2, 8 (quick; full also d = 32) and several γ: t_stop = min(γ, γ²m₂²/d)
(``gupta2024.early_stop``), exact score, N steps. Measured at every point over the ε grid
``EPS_GRID``: γ*(ε), the smallest W2 between q₀'s sample and any law within TV ε of the
sampler's empirical law (partial OT, ``metrics.closeness_frontier``), its null level (the same
between two samples of q₀) and a second, independent null level (their difference is the
uncertainty). The statement (Theorem C.2's output notion): the output is ε-close in TV, with ε
the TV bound of Corollary B.6 for the exact score times B.6's *ledger* constant, to something
within C[early_stop_w2]·(√(d t_stop) + m₂ t_stop) (≲ γ m₂) in W2. Check: the excess γ*(ε_B6) −
null (floored at 0; read at the largest grid ε ≤ ε_B6, an upper end since γ* is non-increasing)
plus 2·uncertainty ≤ C[early_stop_w2]·bound (ledger). Power: a point whose method error
2·uncertainty is not below the effect it tests, C·bound, has no power; it is excluded from the
ledger check and reported (inconclusive) — in d = 32 with n = 1000 the finite-sample null level
dwarfs γ m₂ (this is where the measurement has no power). Control: the exponential
integrator's drift 2(e^h − 1) replaced by (e^h − 1) (score × ½), d = 2: its excess must need a
constant far above the ledger's."""


def mixture_in(d, seed=0):
    """The d-dimensional data law of ``frontier_w2``: 4 isotropic components, E‖x‖² = O(1)·d."""
    r = np.random.default_rng(seed)
    means = 2.0 * r.standard_normal((4, d)) / np.sqrt(d) * np.sqrt(2.0)
    return GaussianMixture(np.full(4, 0.25), means, np.full(4, 0.5))


def _frontier_measure(d, gamma, n, N, seed, score_scale=1.0):
    d, n, N = int(d), int(n), int(N)
    mix = mixture_in(d)
    m2 = _m2(mix)
    t_stop = float(bounds.get("gupta2024.early_stop").evaluate(gamma=gamma, m_2=m2, d=d))
    times = schedule.exponential(T_HORIZON, t_stop, N)
    if score_scale == 1.0:
        x = sample(mix, n, times, seed=int(seed))
    else:
        def score(z, t):
            return score_scale * mix.at(float(t)).score(z)
        x = sample(score, n, times, seed=int(seed), dim=d)
    ref = mix.sample(n, seed=int(seed) + 1)
    fr = metrics.closeness_frontier(x, ref, list(EPS_GRID),
                                    y_null=mix.sample(n, seed=int(seed) + 2))
    # A second, independent null level: their difference estimates the sampling noise.
    null2 = metrics.closeness_frontier(mix.sample(n, seed=int(seed) + 3), ref,
                                       list(EPS_GRID)).w2
    w2, null = np.asarray(fr.w2, float), np.asarray(fr.null, float)
    return dict(w2=w2.tolist(), null=null.tolist(),
                excess=np.maximum(w2 - null, 0.0).tolist(),
                uncertainty=np.abs(null - np.asarray(null2, float)).tolist(),
                eps_grid=list(EPS_GRID), t_stop=t_stop, m_2=m2, gamma_m2=gamma * m2)


def _frontier_grid(quick):
    gammas = [0.1, 0.3, 0.6] if quick else [0.05, 0.1, 0.2, 0.4, 0.8]
    n, N = (400, 100) if quick else (1000, 400)
    dims = (2, 8) if quick else (2, 8, 32)
    return [dict(d=d, gamma=g, n=n, N=N) for d in dims for g in gammas]


def epsilon_b6(d, N, t_stop, m2, constant):
    """ε of the statement: Corollary B.6's bound for the exact score (δ = ε_score = 0) times
    its ledger constant, capped below 1."""
    # δ, ε → 0 (the statement's symbols must be positive: 1e-300 adds nothing representable)
    b = b6_total(N=N, T=T_HORIZON, d=d, delta=1e-300, epsilon=1e-300, gamma=t_stop, m_2=m2)
    return np.minimum(constant * b, 0.999)


def _frontier_verdict(points, rows, ledger=None):
    ledger = load_ledger() if ledger is None else ledger
    w2_stmt = bounds.get(W2_KEY)
    d, g = _column(points, "d"), _column(points, "gamma")
    n_steps = _column(points, "N")
    t_stop, m2 = _column(rows, "t_stop"), _column(rows, "m_2")
    grid = np.asarray(rows[0]["eps_grid"], float)
    excess_curve = np.array([r["excess"] for r in rows], float)
    unc_curve = np.array([r["uncertainty"] for r in rows], float)
    bound = np.asarray(w2_stmt.evaluate(d=d, m_2=m2, t=t_stop, C=1.0), float)
    checks = []
    b6 = ledger.get(B6_KEY)
    w2c = ledger.get(W2_KEY)
    if b6 is None or w2c is None:
        missing = [k for k, e in ((B6_KEY, b6), (W2_KEY, w2c)) if e is None]
        checks.append(Check("ledger constants", "ledger", INCONCLUSIVE,
                            f"no pinned constant for {missing}; pin with `diffbounds ledger "
                            "update`"))
        eps_b6 = np.full(len(points), np.nan)
        measured = unc = np.full(len(points), np.nan)
        powered = np.zeros(len(points), bool)
    else:
        eps_b6 = epsilon_b6(d, n_steps, t_stop, m2, b6.constant)
        # the largest grid ε ≤ ε_B6 (γ* is non-increasing: an upper end of γ*(ε_B6))
        idx = np.array([int(np.searchsorted(grid, e, side="right")) - 1 for e in eps_b6])
        rows_i = np.arange(len(points))
        measured, unc = excess_curve[rows_i, idx], unc_curve[rows_i, idx]
        powered = K_SIGMA * unc < w2c.constant * bound
        if powered.any():
            sel = np.flatnonzero(powered)
            checks.append(ledger_check(W2_KEY, measured[sel], bound[sel],
                                       uncertainty=unc[sel], points=[points[i] for i in sel],
                                       claim="frontier_w2", ledger=ledger))
        for dim in np.unique(d[~powered]):
            at = (d == dim) & ~powered
            checks.append(Check(f"power in d = {int(dim)}", "power", INCONCLUSIVE,
                                f"no power at {int(at.sum())} point(s) in d = {int(dim)}: "
                                f"2·uncertainty {K_SIGMA * unc[at].max():.3g} ≥ pinned bound "
                                f"{w2c.constant * bound[at].min():.3g} (null level "
                                f"{max(r['null'][0] for r, a in zip(rows, at, strict=True) if a):.3g})"))
    return ClaimRecord(
        name="frontier_w2",
        statements=["gupta2024.early_stop", W2_KEY, B6_KEY],
        params=dict(d=d, gamma=g, t_stop=t_stop, n=points[0]["n"], N=points[0]["N"],
                    T=T_HORIZON, eps_grid=grid, eps_b6=eps_b6),
        predicted=bound, measured=measured, ratio=(measured + K_SIGMA * unc) / bound,
        uncertainty=unc, checks=checks,
        details=dict(w2_curve=[r["w2"] for r in rows], null_curve=[r["null"] for r in rows],
                     excess_curve=excess_curve, gamma_m2=_column(rows, "gamma_m2"),
                     powered=powered))


def _control_points(quick):
    return [p for p in _frontier_grid(quick) if p["d"] == 2]


def _half_drift_measure(**point):
    """Control: the exact score scaled by ½ (drift (e^h − 1)·s)."""
    return _frontier_measure(**{**point, "score_scale": 0.5})


FRONTIER_W2_SPECS = dict(d=integer(1), gamma=probability(), n=integer(2), N=integer(1),
                         seed=claim_seed())
FRONTIER_W2 = Claim(
    "frontier_w2", ("gupta2024.early_stop", W2_KEY, B6_KEY),
    dict(d=2, gamma=0.1, n=400, N=100, seed=3),
    _frontier_measure, _frontier_grid, _frontier_verdict, FRONTIER_DOC,
    controls=(Control("drift_coefficient_halved",
                      "exponential integrator with (e^h − 1) for 2(e^h − 1): score × ½ (d = 2)",
                      _control_points, measure_fn=_half_drift_measure),),
    parameter_specs=FRONTIER_W2_SPECS)

CLAIM = FRONTIER_W2
