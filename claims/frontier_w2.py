"""Claim ``frontier_w2``: trade-off curve γ*(ε) of sampler output vs q₀ against the early-stopping
bound.

Measure per grid point, grid, verdict and negative control; registered in ``claims.registry``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from diffbounds import bounds
from diffbounds.claims._claim import Claim, Control, claim_seed, integer, probability
from diffbounds.claims._propagation_common import B6_KEY, T_HORIZON, _column, _m2, b6_total
from diffbounds.claims.ledger import load_ledger
from diffbounds.claims.verdict import (
    HOLDS,
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

FRONTIER_DOC = """Trade-off curve γ*(ε) of the sampler's output vs q₀ against the early-stopping
bound.

For d = 2, 8 (quick; full also d = 32) and several γ: t_stop = min(γ, γ²m₂²/d)
(``gupta2024.early_stop``), exact score, N steps. Measured at every point over the ε grid
``EPS_GRID``: γ*(ε), the smallest W2 between q₀'s sample and any law within TV ε of the
sampler's empirical law (partial OT, ``metrics.closeness_frontier``), its null level (the same
between two samples of q₀) and a second, independent null level (their difference is the
uncertainty). The statement (Theorem C.2's output notion): the output is ε-close in TV, with ε
the TV bound of Corollary B.6 for the exact score times B.6's *ledger* constant, to something
within C[early_stop_w2]·(√(d t_stop) + m₂ t_stop) (≲ γ m₂) in W2. Check: the excess γ*(ε_B6) −
null (floored at 0; read at the largest grid ε ≤ ε_B6, an upper end since γ* is non-increasing)
plus 2·uncertainty ≤ C[early_stop_w2]·bound (ledger), at the points with power. Power
(``has_power``): a 2× violation of the pinned bound must be able to show in the excess; where the
finite-sample null level dwarfs the bound it cannot (the excess is compressed to ≈ (2Cb)²/2·null),
so the point is excluded from the constant check and listed in a "power" check — d = 32 at small
γ (null level ≈ 3–4 against a pinned bound of 0.16–0.7) is where the measurement has no power; a
dimension with no powered point at all makes the claim inconclusive. Control: the exponential
integrator's drift 2(e^h − 1) replaced by (e^h − 1) (score × ½), d = 2: its excess must need a
constant far above the ledger's."""


def mixture_in(d: int, seed: int = 0) -> GaussianMixture:
    """The d-dimensional data law of ``frontier_w2``: 4 isotropic components, E‖x‖² = O(1)·d.

    Parameters
    ----------
    d : int
        Dimension.
    seed : int
        Seed of the means.

    Returns
    -------
    GaussianMixture
        Weights 1/4, means 2√2 z/√d (z standard normal), variances 1/2.

    Examples
    --------
    >>> mixture_in(8).means.shape
    (4, 8)
    """
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


def epsilon_b6(d: ArrayLike, N: ArrayLike, t_stop: ArrayLike, m2: ArrayLike,
               constant: float) -> np.ndarray | np.float64:
    """ε of the statement: Corollary B.6's bound for the exact score (δ = ε_score = 0) times
    its ledger constant, capped below 1.

    Parameters
    ----------
    d, N, t_stop, m2 : array_like
        Dimension, steps, early-stopping time and m₂ per point (broadcast together).
    constant : float
        The ledger constant of Corollary B.6.

    Returns
    -------
    numpy.ndarray or numpy.float64
        min(constant·B6, 0.999), the broadcast shape (a scalar for scalar inputs).
    """
    # δ, ε → 0 (the statement's symbols must be positive: 1e-300 adds nothing representable)
    b = b6_total(N=N, T=T_HORIZON, d=d, delta=1e-300, epsilon=1e-300, gamma=t_stop, m_2=m2)
    return np.minimum(constant * b, 0.999)


def has_power(null: ArrayLike, uncertainty: ArrayLike, pinned_bound: ArrayLike,
              violation: float = 2.0) -> np.ndarray | np.bool_:
    """Whether the excess γ* − null can show a violation of the pinned bound C·b.

    The finite-sample W2 adds to the null level roughly in squares, so a true W2 of
    ``violation``·C·b shows up as an excess of √(null² + (violation·C·b)²) − null; the check
    (excess + 2·unc ≤ C·b) detects it only if that exceeds C·b + 2·unc. With null ≫ C·b the
    excess is compressed (≈ (v·C·b)²/(2·null)): no power (e.g. d = 32 at small γ). The factor
    2 (the violation to be detectable) is a choice, not fitted to data.

    Parameters
    ----------
    null, uncertainty, pinned_bound : array_like
        The null level, the measurement's uncertainty and C·b per point.
    violation : float
        The factor by which the bound is violated in the power calculation.

    Returns
    -------
    numpy.ndarray
        Whether each point has power, bool, the broadcast shape (a NumPy bool scalar for
        scalar inputs).

    Examples
    --------
    >>> has_power([0.0, 10.0], [0.0, 0.0], [0.1, 0.1]).tolist()
    [True, False]
    """
    null, unc, cb = (np.asarray(a, float) for a in (null, uncertainty, pinned_bound))
    response = np.sqrt(null ** 2 + (violation * cb) ** 2) - null
    return response > cb + K_SIGMA * unc


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
        null = np.array([r["null"] for r in rows], float)[rows_i, idx]
        powered = has_power(null, unc, w2c.constant * bound)
        sel = np.flatnonzero(powered)
        if sel.size:
            checks.append(ledger_check(W2_KEY, measured[sel], bound[sel],
                                       uncertainty=unc[sel], points=[points[i] for i in sel],
                                       claim="frontier_w2", ledger=ledger))
        else:
            checks.append(Check("power", "power", INCONCLUSIVE,
                                "no point has power: the null level dwarfs the pinned bound"))
        excluded = [(int(d[i]), float(g[i])) for i in np.flatnonzero(~powered)]
        for dim in np.unique(d):
            at = d == dim
            if not powered[at].any():
                checks.append(Check(f"power in d = {int(dim)}", "power", INCONCLUSIVE,
                                    f"no power at any γ in d = {int(dim)} (null level "
                                    f"{null[at].min():.3g} vs pinned bound "
                                    f"{w2c.constant * bound[at].max():.3g})"))
        if excluded:
            checks.append(Check("power", "power", HOLDS,
                                f"no power (excluded from the constant check) at (d, γ) = "
                                f"{excluded}", details=dict(excluded=excluded)))
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
