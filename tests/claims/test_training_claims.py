"""Claims of issue 5 §2 (``claims.training_claims``): records, oracles, failing verdicts.

Statistical tests use fixed seeds; their bands are stated per test. Exact identities use tight
tolerances.
"""

import json
import math

import numpy as np
import pytest

from claims import registry
from claims.training_claims import (
    FIGURE_1,
    LEMMA_4_1,
    clopper_pearson,
    log10_quantile_error_pair,
    pair_scores,
)
from simulators import GaussianMixture
from simulators.training import denoising_data, fit_finite

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
    for name in ("figure_1", "lemma_4_1"):
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
    """Oracle: the L² failure rate is ½(1−η)^m exactly (module docstring); the quick grid's
    counts lie in their Bonferroni Clopper–Pearson bands, D^δ failures are 0."""
    points = [dict(m=m, n_seeds=400) for m in (10, 300, 3000, 30000)]
    rec = FIGURE_1.run(points=points)
    d = _well_formed(rec, "figure_1")
    assert rec.holds
    assert set(d["measured"]) >= {"m", "l2_failure", "quantile_failure"}
    assert d["measured"]["m"] == [10.0, 300.0, 3000.0, 30000.0]
    assert d["measured"]["quantile_failure"] == [0.0] * 4
    pred = 0.5 * (1 - 1e-3) ** np.array([10, 300, 3000, 30000])
    np.testing.assert_allclose(d["predicted"]["l2_failure"], pred)
    # ties happen exactly when no far sample was drawn
    assert d["details"]["ties"] == d["details"]["no_far_sample"]


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
    rows = [dict(l2_failures=200, quantile_failures=0, n_seeds=400, ties=400, no_far_sample=400,
                 quantile_error_s2_upper=0.0) for _ in points]
    rec = FIGURE_1.verdict(points, rows)
    assert not rec.holds
    rows = [dict(l2_failures=round(400 * 0.5 * (1 - 1e-3) ** p["m"]), quantile_failures=5,
                 n_seeds=400, ties=0, no_far_sample=0, quantile_error_s2_upper=1.0)
            for p in points]
    assert not FIGURE_1.verdict(points, rows).holds


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


# ---------------------------------------------------------------------------- lemma_4_1
def test_lemma41_quick_holds_with_unit_constant():
    """Oracle: the gap equals ε²/σ² to leading order (c ≈ 1) and matches the adaptive
    quadrature of ``bounds.instances`` (1e-8 rel.); TV/η = erf(R/√2σ) ≈ 1."""
    rec = LEMMA_4_1.run(quick=True)
    d = _well_formed(rec, "lemma_4_1")
    assert rec.holds
    assert rec.fitted_constant == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(d["details"]["quadrature_oracle_ratio"], 1.0, rtol=1e-8)
    np.testing.assert_allclose(d["details"]["tv_over_eta"], 1.0, rtol=1e-6)
    assert [s.parameter for s in rec.slopes] == ["epsilon", "sigma", "R"]


def test_lemma41_verdict_fails_on_a_wrong_rate():
    """A gap growing like ε¹ (not ε²) fails the ε slope; a TV above η fails indistinguishability."""
    points = LEMMA_4_1.grid(quick=True)
    rows = [dict(l2_gap=p["eps"] / p["sigma"] ** 2, uncertainty=0.0, tv=1e-9, eta=1e-6,
                 l2_gap_quadrature=1.0) for p in points]
    rec = LEMMA_4_1.verdict(points, rows)
    (eps_slope,) = [s for s in rec.slopes if s.parameter == "epsilon"]
    assert not eps_slope.holds and not rec.holds
    rows = [dict(l2_gap=p["eps"] ** 2 / p["sigma"] ** 2, uncertainty=0.0, tv=2e-6, eta=1e-6,
                 l2_gap_quadrature=1.0) for p in points]
    assert not LEMMA_4_1.verdict(points, rows).holds


def test_lemma41_bad_input():
    with pytest.raises(ValueError, match="^R"):
        LEMMA_4_1.measure(R=2.0, sigma=1.0)
    with pytest.raises(ValueError, match="^eps"):
        LEMMA_4_1.measure(eps=-1.0)
