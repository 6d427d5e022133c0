"""Claims of issue 5 §2 (``claims.figure_1`` … ``claims.end_to_end``): records, oracles,
failing verdicts.

Statistical tests use fixed seeds; their bands are stated per test. Exact identities use tight
tolerances.
"""

import json
import math

import numpy as np
import pytest

from diffbounds.claims import registry
from diffbounds.claims._training_common import (
    clopper_pearson,
    pair_quantile_error_log10,
    pair_scores,
)
from diffbounds.claims.figure_1 import FIGURE_1, log10_quantile_error_pair
from diffbounds.claims.lemma_4_1 import LEMMA_4_1
from diffbounds.simulators import GaussianMixture
from diffbounds.simulators.training import denoising_data, fit_finite

RECORD_KEYS = ("name", "statements", "params", "predicted", "measured", "ratio", "holds",
               "fitted_constant")


def _well_formed(record, name):
    d = record.to_dict()
    json.dumps(d)
    for key in RECORD_KEYS:
        assert key in d
    assert d["name"] == name and d["statements"]
    return d


def test_registered():
    for name in ("figure_1", "lemma_4_1", "lemma_4_2", "sample_complexity_quantile",
                 "end_to_end"):
        assert name in registry.CLAIMS


# ---------------------------------------------------------------------------- figure_1
def test_pair_scores_match_the_mixtures():
    """Exact identity: the closed-form Lemma 4.1 scores equal GaussianMixture.score (1e-9 rel.,
    absolute 1e-9 near zero) including far out, at σ = 1 and σ = 0.5."""
    for sigma, eta, R in ((1.0, 1e-3, 50.0), (0.5, 1e-2, 8.0)):
        x = np.linspace(-R - 5 * sigma, R + 5 * sigma, 2001)
        s1, s2 = pair_scores(x, eta, R, sigma)
        p1 = GaussianMixture([1 - eta, eta], [[0.0], [-R]], [sigma**2] * 2)
        p2 = GaussianMixture([1 - eta, eta], [[0.0], [R]], [sigma**2] * 2)
        np.testing.assert_allclose(s1, p1.score(x[:, None])[:, 0], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(s2, p2.score(x[:, None])[:, 0], rtol=1e-9, atol=1e-9)


def test_figure1_record_shape_and_oracle():
    """Oracle: the L² failure rate is ½(1−η)^m exactly (module docstring); the counts lie in
    their Bonferroni Clopper–Pearson bands; the per-seed D^δ failures are 0 (the chosen s₂'s
    exact log₁₀ D^δ is −2.17·10⁷, below the tolerance)."""
    points = [dict(m=m, n_seeds=400) for m in (10, 300, 3000, 30000)]
    rec = FIGURE_1.run(points=points, controls=False)
    d = _well_formed(rec, "figure_1")
    states = {c.name: c.state for c in rec.checks}
    assert states["L2 failure rate = (1/2)(1 - eta)^m"] == "holds"
    assert states["D^delta failure rate = 0"] == "holds"
    assert set(d["measured"]) >= {"m", "l2_failure", "quantile_failure"}
    assert d["measured"]["m"] == [10.0, 300.0, 3000.0, 30000.0]
    assert d["measured"]["quantile_failure"] == [0.0] * 4
    assert d["details"]["log10_quantile_error_s2"][0] == pytest.approx(-2.17e7, rel=1e-2)
    pred = 0.5 * (1 - 1e-3) ** np.array([10, 300, 3000, 30000])
    np.testing.assert_allclose(d["predicted"]["l2_failure"], pred)
    # ties happen exactly when no far sample was drawn
    assert d["details"]["ties"] == d["details"]["no_far_sample"]


def test_figure1_control_is_rejected():
    """δ = 5e-4 < η: a seed that chose s₂ has D^δ ≈ R/σ² = 10⁴, so D^δ failures equal the L²
    ones (≈ ½ at m = 10) and the prediction 0 is rejected with a margin (the interval's lower
    end) far above 0."""
    (ctl,) = FIGURE_1.controls
    rec = FIGURE_1.run_control(ctl, quick=True)
    assert rec.rejected and rec.check == "D^delta failure rate = 0"
    assert rec.margin > 0.25
    row = FIGURE_1.measure(m=10, n_seeds=50, delta=5e-4)
    assert row["quantile_failures"] == row["l2_failures"] > 0
    assert row["log10_quantile_error_s2"] == pytest.approx(4.0, abs=1e-6)


def test_pair_quantile_error_against_a_quadrature_oracle():
    """Independent oracle: D^δ of |s₂ − s₁| under p₁ read off 400 000 quadrature cells
    (``weighted_quantile_error``, masses from the normal CDF) equals the exact root-based value,
    for δ below and above η (relative 2e-3: |s₂ − s₁| varies by a factor e^{R·Δx/σ²} ≤ 1.0015
    across one cell of width 3e-5·(2R + 20σ) at R = 6, σ = 1, so the cell's midpoint misses
    the exact quantile's value by less than that); and the δ > η closed form of
    ``log10_quantile_error_pair`` agrees to 1e-9 relative."""
    from scipy import stats

    from diffbounds.claims.sample_complexity_quantile import weighted_quantile_error

    eta, R, sigma = 0.02, 6.0, 1.0
    edges = np.linspace(-R - 10, R + 10, 400_001)
    mass = (1 - eta) * np.diff(stats.norm.cdf(edges, 0, sigma)) + eta * np.diff(
        stats.norm.cdf(edges, -R, sigma))
    mid = 0.5 * (edges[1:] + edges[:-1])
    s1, s2 = pair_scores(mid, eta, R, sigma)
    for delta in (0.005, 0.05, 0.2):
        want = weighted_quantile_error(s2 - s1, mass, delta)
        got = 10 ** pair_quantile_error_log10(eta, R, delta, sigma)
        assert got == pytest.approx(want, rel=2e-3)
    for args in ((1e-3, 1e4, 1e-2, 1.0), (4e-4, 5.0, 0.01, 0.1)):
        assert pair_quantile_error_log10(*args) == pytest.approx(
            log10_quantile_error_pair(*args), rel=1e-9)
    with pytest.raises(ValueError, match="^delta"):
        pair_quantile_error_log10(1e-3, 10.0, 1.5)
    with pytest.raises(ValueError, match="^eta"):
        pair_quantile_error_log10(0.7, 10.0, 0.1)


def test_figure1_is_reproducible():
    a = FIGURE_1.measure(m=200, n_seeds=50, seed=3)
    b = FIGURE_1.measure(m=200, n_seeds=50, seed=3)
    assert a == b


def test_figure1_erm_agrees_with_fit_finite():
    """The claim's decision rule (sum both losses, tie iff equal) is what ``fit_finite`` does on
    Setting 1.1 data: over 30 seeds at t = 1 (R_t = e^{−1}·3000, σ_t ≈ 0.93), a far sample makes
    s₁ win, and without one the two candidates tie exactly."""
    eta, R0, t = 0.02, 3000.0, 1.0
    p1 = GaussianMixture([1 - eta, eta], [[0.0], [-R0]], [1e-8, 1e-8])
    p2 = GaussianMixture([1 - eta, eta], [[0.0], [R0]], [1e-8, 1e-8])
    sig = math.sqrt(1 - math.exp(-2 * t))
    n_far = 0
    for seed in range(30):
        x0 = p1.sample(40, seed=seed)
        fit = fit_finite([p1, p2], x0, [t], seed=seed + 100)
        data = denoising_data(x0, [t], seed + 100)
        y, target = data.y[0, :, 0], data.target[0, :, 0]
        a, b = pair_scores(y, eta, R0 * math.exp(-t), sig)
        far = bool((x0 < -R0 / 2).any())
        n_far += far
        assert (fit.ties[0] == 2) == (not far)
        assert (np.square(a - target).sum() == np.square(b - target).sum()) == (not far)
        if far:
            assert fit.index[0] == 0
    assert 0 < n_far < 30


def test_figure1_quantile_error_is_astronomically_small():
    assert log10_quantile_error_pair(1e-3, 1e4, 1e-2) < -2e7
    # a δ below η puts the far component inside the quantile: D^δ ~ 2R, so the check can fail
    with pytest.raises(ValueError):
        log10_quantile_error_pair(1e-2, 1e4, 1e-3)


def test_figure1_verdict_fails_on_a_wrong_failure_rate():
    """If the ERM erred with probability ½ at every m (never learning), the verdict rejects."""
    points = FIGURE_1.grid(quick=True)
    extra = dict(log10_quantile_error_s2=-2.17e7, log10_quantile_tolerance=-9.0)
    rows = [dict(l2_failures=200, quantile_failures=0, n_seeds=400, ties=400, no_far_sample=400,
                 **extra) for _ in points]
    rec = FIGURE_1.verdict(points, rows)
    assert rec.state == "fails"
    rows = [dict(l2_failures=round(400 * 0.5 * (1 - 1e-3) ** p["m"]), quantile_failures=5,
                 n_seeds=400, ties=0, no_far_sample=0, **extra) for p in points]
    assert FIGURE_1.verdict(points, rows).state == "fails"


def test_clopper_pearson_oracle():
    """k = 0 has lower 0 and upper 1 − (α/2)^{1/n}; matches scipy's binomtest interval."""
    from scipy import stats

    lo, hi = clopper_pearson(0, 100, 0.99)
    assert lo == 0 and hi == pytest.approx(1 - 0.005 ** (1 / 100))
    ci = stats.binomtest(17, 80).proportion_ci(0.95, method="exact")
    lo, hi = clopper_pearson(17, 80, 0.95)
    assert (lo, hi) == pytest.approx((ci.low, ci.high))
    with pytest.raises(ValueError, match="^confidence"):
        clopper_pearson(1, 2, 1.5)


def test_figure1_bad_input():
    with pytest.raises(ValueError, match="^m"):
        FIGURE_1.measure(m=0)
    with pytest.raises(ValueError, match="^eta"):
        FIGURE_1.measure(m=5, eta=1.5)
    with pytest.raises(ValueError, match="^quantile_tolerance"):
        FIGURE_1.measure(m=5, quantile_tolerance=0.0)


# ---------------------------------------------------------------------------- lemma_4_1
def test_lemma41_quick_holds_with_unit_constant():
    """Oracle: the gap equals ε²/σ² to leading order (ratio ≈ 1) and matches the adaptive
    quadrature of ``bounds.instances`` (1e-8 rel.); TV/η = erf(R/√2σ) ≈ 1; the slopes in ε, σ, R
    are 2, −2, 0 (5 values each); the control (η/4) is rejected with margin ≈ 4."""
    rec = LEMMA_4_1.run(quick=True)
    d = _well_formed(rec, "lemma_4_1")
    assert rec.state == "holds", rec.reason
    np.testing.assert_allclose(d["ratio"], 1.0, rtol=1e-6)
    np.testing.assert_allclose(d["details"]["quadrature_oracle_ratio"], 1.0, rtol=1e-8)
    np.testing.assert_allclose(d["details"]["tv_over_eta"], 1.0, rtol=1e-6)
    assert [s.parameter.split()[0] for s in rec.slopes] == ["epsilon", "sigma", "R"]
    assert all(s.n_values == 5 for s in rec.slopes)
    (ctl,) = rec.controls
    assert ctl.rejected and ctl.margin == pytest.approx(4.0, rel=1e-3)
    # the control's gap matches the adaptive quadrature at the same far weight
    row = LEMMA_4_1.measure(R=300.0, eps=0.5, sigma=1.0, eta_factor=0.25)
    assert row["l2_gap"] == pytest.approx(row["l2_gap_quadrature"], rel=1e-8)


def test_lemma41_verdict_fails_on_a_wrong_rate():
    """A gap growing like ε¹ (not ε²) fails the ε slope; a TV above η fails indistinguishability."""
    points = LEMMA_4_1.grid(quick=True)
    rows = [dict(l2_gap=p["eps"] / p["sigma"] ** 2, uncertainty=0.0, tv=1e-9, eta=1e-6,
                 l2_gap_quadrature=1.0) for p in points]
    rec = LEMMA_4_1.verdict(points, rows)
    (eps_slope,) = [s for s in rec.slopes if s.parameter.startswith("epsilon")]
    assert eps_slope.state == "fails" and rec.state == "fails"
    rows = [dict(l2_gap=p["eps"] ** 2 / p["sigma"] ** 2, uncertainty=0.0, tv=2e-6, eta=1e-6,
                 l2_gap_quadrature=1.0) for p in points]
    assert LEMMA_4_1.verdict(points, rows).state == "fails"


def test_lemma41_bad_input():
    with pytest.raises(ValueError, match="^R"):
        LEMMA_4_1.measure(R=2.0, sigma=1.0)
    with pytest.raises(ValueError, match="^eps"):
        LEMMA_4_1.measure(eps=-1.0)
    with pytest.raises(ValueError, match="^eta_factor"):
        LEMMA_4_1.measure(eta_factor=0.0)


# ---------------------------------------------------------------------------- lemma_4_2
def test_lemma42_quick_record_and_control():
    """The 'tail' crossover: every point within its first-order form's derived remainder, the
    slopes equal to the form's; the literal x₀ = 10σ√log m (the control) is ~100 orders of
    magnitude below the lower bound and rejected."""
    from diffbounds.claims.lemma_4_2 import LEMMA_4_2

    rec = LEMMA_4_2.run(quick=True)
    d = _well_formed(rec, "lemma_4_2")
    assert rec.state == "holds", rec.reason
    assert all(s.n_values == 5 for s in rec.slopes)
    form = d["details"]["slopes_vs_first_order_form"]
    assert set(form) == {"S", "m", "sigma"}
    # The S and σ slopes depart from 2 and −4 by equal and opposite amounts (paper-notes §6.2).
    assert form["S"]["measured"] - 2 == pytest.approx(-(form["sigma"]["measured"] + 4), abs=1e-3)
    (ctl,) = rec.controls
    assert ctl.rejected and ctl.margin > 1e90
    # hidden fraction ≈ P[all m samples below x₀] ≈ e^{-1} at the tail crossover (band: 0.05..0.6)
    assert 0.05 < np.mean(d["details"]["hidden_fraction"]) < 0.6


def test_lemma42_first_order_form_against_mpmath():
    """Independent oracle: the population error by mpmath quadrature (50 digits) lies within
    the form's derived remainder bound, and the residual is the signed next-order term
    (agreeing to the O(1/k²) relative size of the order after it: 2e-2 at k ≥ 20)."""
    import mpmath

    from diffbounds.claims.lemma_4_2 import lemma_4_2_first_order

    mpmath.mp.dps = 50
    for S, sigma, x0 in ((20.0, 1.0, 3.09), (40.0, 0.5, 1.6), (80.0, 1.0, 3.7)):
        L = mpmath.log(mpmath.mpf(x0) / (S - x0))

        def f(x, S=S, sigma=sigma, x0=x0, L=L):
            w = 1 / (1 + mpmath.exp(-(L + S * (x - x0) / sigma**2)))
            return mpmath.npdf(x, 0, sigma) * (w * S / sigma**2) ** 2

        xc = x0 - float(L) * sigma**2 / S
        pop = float(mpmath.quad(f, [-mpmath.inf, 0, xc, mpmath.inf]))
        form = lemma_4_2_first_order(S, sigma, x0)
        r = pop / math.exp(form["log_value"]) - 1
        assert abs(r) <= form["remainder_bound"]
        assert r == pytest.approx(form["next_order"], rel=2e-2)


def test_lemma42_form_check_rejects_the_leading_order_form():
    """Wrong bookkeeping: the old leading-order form S²Φ̄(z)/σ⁴ (h ≡ 1) in place of the
    first-order form misses by 10–35%, far outside the derived tolerance (≈ 1e-3): the form
    check fails."""
    from diffbounds.claims.lemma_4_2 import LEMMA_4_2

    points = LEMMA_4_2.grid(quick=True)
    rows = [LEMMA_4_2.measure(**p) for p in points]
    bad = [dict(r, log_first_order=r["log_leading_order"]) for r in rows]
    rec = LEMMA_4_2.verdict(points, bad)
    (form,) = [c for c in rec.checks if c.name.startswith("first-order form")]
    assert form.state == "fails" and form.margin > 50


def test_lemma42_verdict_fails_on_a_wrong_rate():
    """A population error falling like S¹ (not S²) fails the S slope and the form check."""
    from diffbounds.claims.lemma_4_2 import LEMMA_4_2

    points = LEMMA_4_2.grid(quick=True)
    rows = [LEMMA_4_2.measure(**p) for p in points]
    rows = [dict(r, log_population=r["log_population"] - math.log(p["S"]))
            for r, p in zip(rows, points, strict=True)]
    rec = LEMMA_4_2.verdict(points, rows)
    (s_slope,) = [s for s in rec.slopes if s.parameter.startswith("S ")]
    assert s_slope.state == "fails" and rec.state == "fails"


def test_lemma42_bad_input():
    from diffbounds.claims.lemma_4_2 import LEMMA_4_2

    with pytest.raises(ValueError, match="^crossover"):
        LEMMA_4_2.measure(crossover="nope")
    with pytest.raises(ValueError, match="^S"):
        LEMMA_4_2.measure(S=5.0, crossover="literal")
    from diffbounds.claims.lemma_4_2 import lemma_4_2_first_order

    with pytest.raises(ValueError, match="^S"):
        lemma_4_2_first_order(3.0, 1.0, 4.0)
    with pytest.raises(ValueError, match="^x0"):
        lemma_4_2_first_order(3.0, 1.0, -1.0)


# ---------------------------------------------------------------------------- sample complexity
def test_sc_truth_score_matches_mixture():
    from diffbounds.claims.sample_complexity_quantile import SC_TRUTH, sc_truth_score

    y = np.linspace(-3, 3, 101)
    for sig in (0.1, 0.3):
        t = -0.5 * math.log1p(-sig * sig)
        np.testing.assert_allclose(sc_truth_score(y, sig), SC_TRUTH.at(t).score(y[:, None])[:, 0],
                                   rtol=1e-10, atol=1e-10)


def test_weighted_quantile_error_oracle():
    """On a fine grid of N(0,1), D^δ of err(x) = x is the upper (1−δ) quantile of |x|."""
    from scipy import stats

    from diffbounds.claims.sample_complexity_quantile import weighted_quantile_error

    edges = np.linspace(-10, 10, 200_001)
    mass = np.diff(stats.norm.cdf(edges))
    mid = 0.5 * (edges[1:] + edges[:-1])
    for delta in (0.01, 0.1):
        assert weighted_quantile_error(mid, mass, delta) == pytest.approx(
            stats.norm.isf(delta / 2), abs=2e-4)


def test_quantiles_at_all_deltas_equal_separate_calls():
    """Exact identity: one sort serving every grid δ gives the same numbers as
    ``weighted_quantile_error`` called per δ (the claim's cache of the mixture class)."""
    from diffbounds.claims.sample_complexity_quantile import (
        SC_DELTAS,
        _quadrature,
        _quantiles_multi,
        weighted_quantile_error,
    )

    mid, mass = _quadrature(0.3)
    rng = np.random.default_rng(0)
    for _ in range(3):
        err = rng.standard_normal(mid.size) * np.exp(rng.standard_normal() * mid)
        got = _quantiles_multi(err, mass, np.asarray(SC_DELTAS))
        assert got.tolist() == [weighted_quantile_error(err, mass, d) for d in SC_DELTAS]


def test_sample_complexity_finite_small_grid():
    """Finite class on a 2x3 grid (≈3 s): m* falls with ε, the record is well formed."""
    from diffbounds.claims.sample_complexity_quantile import SAMPLE_COMPLEXITY_QUANTILE as C

    pts = [dict(cls="finite", eps=e, delta_score=dl, m_max=3000, n_seeds=60)
           for e in (0.2, 0.4) for dl in (3e-3, 1e-2, 3e-2)]
    rec = C.run(points=pts, controls=False)
    d = _well_formed(rec, "sample_complexity_quantile")
    ms = np.array(d["details"]["per_class"]["finite"]["m_star"], float)
    assert np.all(ms[3:] <= ms[:3])


def test_within_delta_slope_matches_dummy_variable_least_squares():
    """Oracle: the ε-slope with one intercept per δ equals the coefficient of log ε in an
    ordinary least-squares fit with one indicator column per δ (numpy lstsq), and its 95%
    half-width the t quantile times that fit's standard error (n − n_δ − 1 dof)."""
    from scipy import stats

    from diffbounds.claims.sample_complexity_quantile import _within_delta_slope

    rng = np.random.default_rng(0)
    eps = np.tile([0.1, 0.2, 0.3, 0.5, 0.8], 3)[:-1]  # unbalanced: one point missing
    delta = np.repeat([1e-3, 1e-2, 1e-1], 5)[:-1]
    ms = 50 * eps**-2 * np.where(delta == 1e-3, 7.0, np.where(delta == 1e-2, 3.0, 1.0))
    ms *= np.exp(0.1 * rng.standard_normal(eps.size))
    X = np.column_stack([(delta == v).astype(float) for v in (1e-3, 1e-2, 1e-1)]
                        + [np.log(eps)])
    coef, res, *_ = np.linalg.lstsq(X, np.log(ms), rcond=None)
    dof = eps.size - 4
    se = math.sqrt(res[0] / dof * np.linalg.inv(X.T @ X)[3, 3])
    b, half, icpt = _within_delta_slope(eps, delta, ms)
    assert b == pytest.approx(coef[3], rel=1e-10)
    assert half == pytest.approx(stats.t.ppf(0.975, dof) * se, rel=1e-10)
    assert [icpt[v] for v in (1e-3, 1e-2, 1e-1)] == pytest.approx(coef[:3], rel=1e-10)


def test_l2_pair_m_star_is_the_exact_geometric_quantile():
    """Oracle: the ERM errs at m iff no far sample among the first m and the coin says s₂, so
    P[error at m] = ½(1−η)^m and m*_L2 = log(2δ_train)/log(1−η) exactly; the measurement (every
    integer m, 300 seeds) is within 2.5 of its 99% half-spreads of it; D^δ accuracy needs no
    samples (censored at m = 1)."""
    from diffbounds.claims.sample_complexity_quantile import SAMPLE_COMPLEXITY_QUANTILE as C

    for sig in (0.1, 0.2):
        r = C.measure(cls="l2_pair", eps=0.5, delta_score=0.01, sigma_t=sig, m_max=20_000,
                      n_seeds=300)
        eta = 4 * 0.25 * sig**2 / 25
        assert r["m_star_l2_predicted"] == pytest.approx(math.log(0.2) / math.log1p(-eta))
        assert abs(r["m_star"] - r["m_star_l2_predicted"]) <= 2.5 * r["uncertainty"]
        assert r["m_star_quantile"] == 1.0 and r["quantile_censored"]


def test_finite_effective_eps_is_the_class_resolution():
    """Exact identity: success depends on ε only through the admissible class members, so m*
    at ε and at ε_eff (the largest member's σ_t·D^δ ≤ ε) are equal; ε_eff ≤ ε, it is itself a
    fixed point, and it is 0 when only the truth is admissible."""
    from diffbounds.claims.sample_complexity_quantile import SAMPLE_COMPLEXITY_QUANTILE as C
    from diffbounds.claims.sample_complexity_quantile import finite_effective_eps

    for eps, dl in ((0.2, 1e-2), (0.45, 3e-3)):
        ee = finite_effective_eps(eps, dl, 0.3)
        assert 0 < ee <= eps and finite_effective_eps(ee, dl, 0.3) == ee
        a = C.measure(cls="finite", eps=eps, delta_score=dl, m_max=3000, n_seeds=30)
        b = C.measure(cls="finite", eps=ee, delta_score=dl, m_max=3000, n_seeds=30)
        assert a["m_star"] == b["m_star"] and a["rate"] == b["rate"]
    assert finite_effective_eps(1e-6, 1e-2, 0.3) == 0.0


def test_sample_complexity_censored_points_are_excluded_from_slopes():
    """Points with m* at the grid's smallest m (or beyond its largest) do not enter the slope;
    a δ with fewer than two uncensored ε carries no ε information and is dropped (mixture
    class: its ε is continuous, the finite class reads ε_eff)."""
    from diffbounds.claims.sample_complexity_quantile import SAMPLE_COMPLEXITY_QUANTILE as C

    eps = [0.05, 0.07, 0.1, 0.14, 0.2, 0.28]
    points = [C.complete(dict(cls="mixture", eps=e, delta_score=d)) for d in (1e-3, 1e-2, 1e-1)
              for e in eps]
    rows = []
    for p in points:
        m = 30.0 * p["eps"] ** -2 * (p["delta_score"] / 1e-3) ** -0.5
        if p["delta_score"] == 1e-1:
            m = 10.0  # the grid's smallest m: censored
        if p["eps"] == 0.05 and p["delta_score"] == 1e-3:
            m = float("nan")  # beyond the grid
        rows.append(dict(m_star=m, uncertainty=0.0, m_star_l2=m, rate=[], n_seeds=10,
                         m_grid=[10, 100, 20000], m_max=20000.0, censored=False))
    rec = C.verdict(points, rows)
    used = rec.details["per_class"]["mixture"]["used_in_slopes"]
    assert list(used) == [False] + [True] * 5 + [True] * 6 + [False] * 6
    (es,) = [s for s in rec.slopes if s.parameter == "mixture:epsilon"]
    assert es.slope == pytest.approx(-2.0, abs=1e-9) and es.n_values == 6


def test_sample_complexity_verdict_fails_on_a_wrong_rate():
    """m* growing like ε^{-3} (faster than Lemma A.2's ε^{-2}) fails the ε slope."""
    from diffbounds.claims.sample_complexity_quantile import SAMPLE_COMPLEXITY_QUANTILE as C

    points = [p for p in C.grid(quick=True) if p["cls"] == "finite"]
    rows = [dict(m_star=p["eps"] ** -3 * p["delta_score"] ** -0.2, uncertainty=0.0,
                 m_star_l2=10.0, rate=[], m_grid=[1, 10**9], m_max=1e9, n_seeds=10,
                 censored=False) for p in points]
    rec = C.verdict(points, rows)
    (es,) = [s for s in rec.slopes if s.parameter == "finite:epsilon"]
    assert es.state == "fails" and rec.state == "fails"


def test_sample_complexity_control_is_rejected():
    """The finite class shifted off the truth (θ ∈ [0.05, 0.35]) never reaches D^δ ≤ ε/σ_t at
    ε = 0.07: m* beyond the grid, and m_max/B already needs more than the pinned constant."""
    from diffbounds.claims.sample_complexity_quantile import SAMPLE_COMPLEXITY_QUANTILE as C

    (ctl,) = C.controls
    rec = C.run_control(ctl, quick=True)
    assert rec.rejected and rec.margin > 1.5


def test_sample_complexity_bad_input():
    from diffbounds.claims.sample_complexity_quantile import SAMPLE_COMPLEXITY_QUANTILE as C

    with pytest.raises(ValueError, match="^cls"):
        C.measure(cls="relu")
    with pytest.raises(ValueError, match="^delta_score"):
        C.measure(delta_score=2.0)
    with pytest.raises(ValueError, match="^theta_offset"):
        C.measure(cls="mixture", theta_offset=0.2)
    with pytest.raises(ValueError, match="^theta_offset"):
        C.measure(theta_offset=float("nan"))


@pytest.mark.slow
def test_sample_complexity_quick_holds():
    from diffbounds.claims.sample_complexity_quantile import SAMPLE_COMPLEXITY_QUANTILE as C

    rec = C.run(quick=True)
    assert rec.state == "holds", rec.reason


# ---------------------------------------------------------------------------- end_to_end
def test_gamma_of_t_stop_inverts_the_early_stopping_time():
    """Oracle: the SymPy statement t_stop = min(γ, γ²m₂²/d) (``gupta2024.early_stop``) at the
    returned γ gives back t_stop, on both branches; this claim's γ is 0.139, not t_stop."""
    from diffbounds import bounds
    from diffbounds.claims.end_to_end import E2E_T_STOP, gamma_of_t_stop
    from diffbounds.claims.sample_complexity_quantile import SC_TRUTH

    stmt = bounds.get("gupta2024.early_stop")
    for t, m2, d in ((0.02, 1.02, 1), (0.5, 3.0, 2), (2.0, 0.5, 1), (1e-4, 10.0, 32)):
        g = gamma_of_t_stop(t, m2, d)
        assert float(stmt.evaluate(gamma=g, m_2=m2, d=d)) == pytest.approx(t, rel=1e-12)
    m2 = math.sqrt(SC_TRUTH.second_moment())
    assert gamma_of_t_stop(E2E_T_STOP, m2, 1) == pytest.approx(math.sqrt(0.02 / 1.04))
    with pytest.raises(ValueError, match="^t_stop"):
        gamma_of_t_stop(0.0, 1.0, 1)


def test_end_to_end_small_grid():
    """Two seeds at three m (≈5 s): TV(learned chain, exact chain) shrinks as m grows 30x."""
    from diffbounds.claims.end_to_end import END_TO_END

    pts = [dict(d=1, m=m, N=6, n_seeds=2, spacing=0.03) for m in (100, 300, 3000)]
    rec = END_TO_END.run(points=pts, controls=False)
    d = _well_formed(rec, "end_to_end")
    assert d["measured"][-1] < d["measured"][0]
    assert set(d["details"]["needed_constants"]) == {"gupta2024.theorem_c2",
                                                      "gupta2024.theorem_1_2_derived"}
    assert "bounds check" in d["details"]["epsilon_exponent_note"]
    assert d["params"]["gamma"] == pytest.approx(0.1387, abs=1e-4)


def test_end_to_end_verdict_fails_on_a_wrong_rate():
    """TV falling like m^{-0.1} (slower than m^{-1/3} and m^{-1/5}) fails both rate checks; TV
    falling like m^{-1} (faster than the observable m^{-1/2}) fails the two-sided check."""
    from diffbounds.claims.end_to_end import END_TO_END

    points = [p for p in END_TO_END.grid(quick=True) if p["d"] == 1]
    rows = [dict(tv=0.5 * p["m"] ** -0.1, uncertainty=0.0, tv_exact_chain=0.1) for p in points]
    rec = END_TO_END.verdict(points, rows)
    assert rec.state == "fails" and all(s.state == "fails" for s in rec.slopes)
    rng = np.random.default_rng(1)
    rows = [dict(tv=0.5 / p["m"] * math.exp(0.01 * rng.standard_normal()), uncertainty=0.0,
                 tv_exact_chain=0.1) for p in points]
    rec = END_TO_END.verdict(points, rows)
    assert all(s.state == "fails" and "observable" in s.reason for s in rec.slopes)


@pytest.mark.slow
def test_end_to_end_control_is_rejected():
    """A one-Gaussian class for the bimodal q₀: TV_train does not fall (slope ≈ 0)."""
    from diffbounds.claims.end_to_end import END_TO_END

    (ctl,) = END_TO_END.controls
    rec = END_TO_END.run_control(ctl, quick=True)
    assert rec.rejected and rec.margin > 0.1


def test_end_to_end_bad_input():
    from diffbounds.claims.end_to_end import END_TO_END

    with pytest.raises(ValueError, match="^d"):
        END_TO_END.measure(d=3)
    with pytest.raises(ValueError, match="^n_components"):
        END_TO_END.measure(n_components=3)
