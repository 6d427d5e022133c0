"""Product laws in any dimension (simulators.law_nd).

Oracles and tolerance models:
- The sampler itself (CPU backend, fixed seeds) in d = 2, 8, 64: KS of ⟨v, X⟩ against the 1-D
  factor's CDF (p > 1e-3), orthogonal means within 5 standard errors, the orthogonal variance by
  its χ² statistic (|z-score| < 5), and independence of ⟨v, X⟩ and ‖P_⊥(X − m)‖² (|corr| < 5/√n).
- Gaussian targets: the chain is exactly N(μ_N, V_N I) (``gaussian_chain_moments`` in d
  dimensions): orthogonal mean and variance to 1e-12 (same recursion, different code path),
  the 1-D factor's moments to 1e-8 (law1d's method error).
- Distances: two isotropic Gaussians in closed form — W2² (|Δμ|² + d(σ₁ − σ₂)²), KL, TV with
  equal means (χ²_d CDFs) or equal variances (2Φ(δ/2σ) − 1) — in d up to 10⁴; the TV must be
  within its own stated error; a slow test against SciPy 2-D quadrature with unequal means and
  variances; for a non-Gaussian 1-D factor, a Monte-Carlo estimate E_p[(1 − q/p)₊] with exact
  densities at exact draws (5 standard errors); the two forms of the Gaussian factor's
  integrand (non-central χ² and conditioned on ‖rest‖²) against each other.
- The 1-D frontier: POT's dense partial-transport LP on the same atoms (an independent
  algorithm), W2 at ε = 0, and γ* ≈ 0 once ε ≥ TV (a sub-coupling of mass 1 − TV at zero cost
  exists for continuous laws; the discretisation leaves O(1/atoms)).
"""

import math

import numpy as np
import ot
import pytest
from scipy import integrate, special, stats

from diffbounds.simulators import GaussianMixture, perturbed_score, sample, schedule
from diffbounds.simulators.law1d import GridLaw
from diffbounds.simulators.law_nd import ProductLaw, factorize, frontier_1d, output_law
from diffbounds.simulators.oracles import gaussian_chain_moments
from diffbounds.simulators.score_errors import mixture_score

TIMES = schedule.exponential(5.0, 1e-2, 40)


def _line_mixture(d, seed=0):
    """Two components on a random line, with an orthogonal offset c_⊥ ≠ 0."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(d)
    v /= np.linalg.norm(v)
    c = rng.standard_normal(d) * 0.5
    mix = GaussianMixture([0.3, 0.7], [c - 1.5 * v, c + 1.0 * v], [0.25, 0.25])
    return mix, v


# ------------------------------------------------------------------ Monte Carlo oracle
@pytest.mark.parametrize("d", [2, 8, 64])
def test_product_law_matches_sampler(d):
    mix, v = _line_mixture(d, seed=d)
    score = perturbed_score(mix, eps=0.3, delta=0.05, bad_magnitude=4.0, region="halfspace",
                            halfspace_normal=v, direction=-v)
    law = output_law(score, TIMES)
    n = 20_000
    x = sample(score, n, TIMES, seed=d, backend="cpu")
    w = x @ law.direction
    assert stats.kstest(w, law.line.cdf).pvalue > 1e-3
    z = x - np.outer(w, law.direction)
    se = math.sqrt(law.perp_var / n)
    assert np.abs(z.mean(0) - law.perp_mean).max() < 5 * se
    r2 = ((z - law.perp_mean) ** 2).sum(1) / law.perp_var  # Σ ~ χ²_{n(d−1)}
    dof = n * (d - 1)
    assert abs(r2.sum() - dof) < 5 * math.sqrt(2 * dof)
    assert abs(np.corrcoef(w, r2)[0, 1]) < 5 / math.sqrt(n)


def test_exact_score_product_law_matches_sampler_in_d_8():
    mix, _ = _line_mixture(8, seed=3)
    law = output_law(mix, TIMES)
    x = sample(mix, 20_000, TIMES, seed=5, backend="cpu")
    assert stats.kstest(x @ law.direction, law.line.cdf).pvalue > 1e-3


# ------------------------------------------------------------------ Gaussian oracle
@pytest.mark.parametrize("d", [2, 8, 64])
def test_gaussian_target_matches_linear_recursion(d):
    rng = np.random.default_rng(d)
    c = rng.standard_normal(d)
    law = output_law(GaussianMixture([1.0], [c], [0.2]), TIMES)
    m, C = gaussian_chain_moments(c, 0.2 * np.eye(d), TIMES)
    v = law.direction
    perp = m - (m @ v) * v
    np.testing.assert_allclose(law.perp_mean, perp, rtol=0, atol=1e-12)
    assert abs(law.perp_var - C[1, 1]) < 1e-12 * C[1, 1]
    assert abs(law.line.mean() - m @ v) < 1e-8
    assert abs(law.line.var() - C[0, 0]) < 1e-8
    np.testing.assert_allclose(law.mean(), m, rtol=0, atol=1e-8)


def test_sample_draws_the_product_law():
    mix, _ = _line_mixture(4, seed=1)
    law = output_law(mix, TIMES)
    x = law.sample(40_000, seed=2)
    assert x.shape == (40_000, 4)
    assert stats.kstest(x @ law.direction, law.line.cdf).pvalue > 1e-3
    cov = np.cov(x.T)
    P = np.eye(4) - np.outer(law.direction, law.direction)
    np.testing.assert_allclose(P @ cov @ P, law.perp_var * P, atol=5 * law.perp_var * 0.015)


# ------------------------------------------------------------------ distances
def _gauss_product(d, mean_line, var, perp_mean):
    e = np.eye(d)[0]
    line = GridLaw.from_mixture(GaussianMixture([1.0], [mean_line], [var]))
    return ProductLaw(line, e, np.asarray(perp_mean, dtype=float), var)


@pytest.mark.parametrize("d", [2, 1000])
def test_w2_and_kl_add_over_factors(d):
    rng = np.random.default_rng(d)
    perp = np.concatenate([[0.0], rng.standard_normal(d - 1) * 0.1])
    law = _gauss_product(d, 0.3, 0.2, perp)
    mu = np.concatenate([[-0.1], np.zeros(d - 1)])
    target = GaussianMixture([1.0], [mu], [0.25])
    dm2 = 0.4**2 + float(perp @ perp)
    assert law.w2_squared(target) == pytest.approx(
        dm2 + d * (math.sqrt(0.2) - math.sqrt(0.25)) ** 2, rel=1e-9)
    r = 0.2 / 0.25
    kl = 0.5 * d * (r - 1 - math.log(r)) + dm2 / (2 * 0.25)
    assert law.kl(target) == pytest.approx(kl, rel=1e-9)


def _tv_equal_means(d, v1, v2):
    r2 = d * math.log(v2 / v1) / (1 / v1 - 1 / v2)  # ‖x − μ‖² where the densities cross
    return abs(stats.chi2.cdf(r2 / v1, d) - stats.chi2.cdf(r2 / v2, d))


@pytest.mark.parametrize("d, v1, v2", [(2, 0.3, 0.35), (64, 0.3, 0.31), (10_000, 0.3, 0.3003),
                                       (1000, 0.2, 0.25)])
def test_tv_two_isotropic_gaussians_equal_means(d, v1, v2):
    law = _gauss_product(d, 0.4, v1, np.zeros(d))
    target = GaussianMixture([1.0], [0.4 * np.eye(d)[0]], [v2])
    est = law.tv_estimate(target)
    assert est.error < 1e-5
    assert abs(est.value - _tv_equal_means(d, v1, v2)) <= est.error


@pytest.mark.parametrize("d, delta", [(2, 0.3), (64, 0.05), (10_000, 1.0)])
def test_tv_two_isotropic_gaussians_equal_variances(d, delta):
    perp = np.zeros(d)
    perp[1] = delta
    law = _gauss_product(d, 0.0, 0.3, perp)
    target = GaussianMixture([1.0], [np.zeros(d)], [0.3])
    est = law.tv_estimate(target)
    assert est.error < 1e-5
    assert abs(est.value - (2 * special.ndtr(delta / (2 * math.sqrt(0.3))) - 1)) <= est.error


@pytest.mark.parametrize("d", [2, 64, 10_000])
def test_tv_nearly_equal_variances_is_continuous(d):
    # η = 1e-9: SciPy's ncx2 would need non-centrality ~1e17 (NaN); the conditioned form must
    # meet the equal-variance closed form, TV changing by O(η √d) only
    perp = np.zeros(d)
    perp[1] = 0.3
    law = _gauss_product(d, 0.0, 0.3 * (1 + 1e-9), perp)
    est = law.tv_estimate(GaussianMixture([1.0], [np.zeros(d)], [0.3]))
    exact_equal = 2 * special.ndtr(0.3 / (2 * math.sqrt(0.3))) - 1
    assert abs(est.value - exact_equal) <= est.error + 1e-9 * math.sqrt(d)


@pytest.mark.parametrize("d, rel", [(2, 1e-2), (64, -1e-2), (10_000, 1e-2)])
def test_tv_two_forms_of_the_gaussian_factor_agree(d, rel, monkeypatch):
    # the non-central χ² form and the form conditioned on ‖rest‖² are independent
    # computations of the same G⁺; where both are valid they agree to rounding
    from diffbounds.simulators import law_nd

    perp = np.zeros(d)
    perp[1] = 0.3
    law = _gauss_product(d, 0.0, 0.3 * (1 + rel), perp)
    target = GaussianMixture([1.0], [np.zeros(d)], [0.3])
    a = law.tv(target)
    monkeypatch.setattr(law_nd, "_NCX2_MAX_NC", 0.0)
    b = law.tv(target)
    assert abs(a - b) < 1e-11


@pytest.mark.slow
@pytest.mark.parametrize("d, delta, v1, v2", [(3, 0.5, 0.3, 0.2), (8, 0.3, 0.3, 0.33)])
def test_tv_unequal_means_and_variances_against_2d_quadrature(d, delta, v1, v2):
    # ½∫∫ |f₁ − f₂| over ζ (along the mean difference) and the radius r of the other d − 1
    # coordinates (scaled χ_{d−1}); SciPy dblquad to 1e-11
    def dens(z, r, m, v):
        s = math.sqrt(v)
        return stats.norm.pdf(z, m, s) * stats.chi.pdf(r / s, d - 1) / s

    s = math.sqrt(max(v1, v2))
    val = 0.5 * integrate.dblquad(lambda r, z: abs(dens(z, r, delta, v1) - dens(z, r, 0, v2)),
                                  -12 * s, delta + 12 * s, 0, math.sqrt(d) * s + 14 * s,
                                  epsabs=1e-11, epsrel=1e-10)[0]
    perp = np.zeros(d)
    perp[1] = delta
    law = _gauss_product(d, 0.0, v1, perp)
    est = law.tv_estimate(GaussianMixture([1.0], [np.zeros(d)], [v2]))
    assert abs(est.value - val) <= est.error + 1e-9


@pytest.mark.parametrize("d", [2, 8])
def test_tv_of_a_mixture_output_law_against_monte_carlo(d):
    # TV = E_{x∼p}[(1 − q(x)/p(x))₊] with exact densities at exact draws of p (ProductLaw.sample):
    # an independent estimate for a non-Gaussian 1-D factor. p's 1-D density is its cell
    # average (bias O(Δ²), ~1e-7 here). Band: 5 standard errors.
    mix, _ = _line_mixture(d, seed=7)
    score = perturbed_score(mix, eps=0.3, delta=0.05, bad_magnitude=4.0, region="halfspace",
                            halfspace_normal=mix.means[1] - mix.means[0],
                            direction=mix.means[0] - mix.means[1])
    law = output_law(score, TIMES)
    target = mix.at(TIMES[-1])
    tf = factorize(target, law.direction)
    x = law.sample(200_000, seed=11)
    v = law.direction
    w = x @ v
    z = x - np.outer(w, v)
    cell = np.clip(np.rint(w / law.line.spacing).astype(int) - law.line.start, 0,
                   law.line.cells - 1)
    log_p = np.log(law.line.pdf[cell]) - ((z - law.perp_mean) ** 2).sum(1) / (
        2 * law.perp_var) - 0.5 * (d - 1) * math.log(2 * math.pi * law.perp_var)
    log_q = tf.line.logpdf(w) - ((z - tf.perp_mean) ** 2).sum(1) / (2 * tf.perp_var) - 0.5 * (
        d - 1) * math.log(2 * math.pi * tf.perp_var)
    h = np.maximum(1.0 - np.exp(log_q - log_p), 0.0)
    se = h.std() / math.sqrt(h.size)
    assert abs(law.tv(target) - h.mean()) < 5 * se


def test_tv_in_d_1_is_the_grid_law_tv():
    mix = GaussianMixture([0.4, 0.6], [-1.0, 1.0], [0.2, 0.2])
    law = output_law(mix, TIMES)
    assert law.dim == 1
    q = mix.at(TIMES[-1])
    assert law.tv(q) == law.line.tv(q)
    assert law.w2(q) == pytest.approx(law.line.w2(q), rel=1e-12)


# ------------------------------------------------------------------ frontier
def test_frontier_1d_matches_dense_partial_ot_on_the_same_atoms():
    p = GaussianMixture([1.0], [0.0], [1.0])
    q = GaussianMixture([0.7, 0.3], [0.2, 3.0], [0.5, 0.3])
    n = 200
    eps = np.array([0.0, 0.05, 0.2, 0.5])
    _, got, _ = frontier_1d(p, q, eps, atoms=n)
    u = (np.arange(n) + 0.5) / n
    x, y = p.quantile(u), q.quantile(u)
    a = np.full(n, 1.0 / n)
    M = (x[:, None] - y[None, :]) ** 2
    for e, g in zip(eps, got, strict=True):
        if e == 0:
            ref = ot.emd2(a, a, M)
        else:
            ref = ot.partial.partial_wasserstein2(a, a, M, m=1 - e)
        assert g**2 == pytest.approx(ref, rel=1e-7, abs=1e-12)


def test_frontier_1d_limits():
    p = GaussianMixture([1.0], [0.0], [1.0])
    q = GaussianMixture([1.0], [0.5], [1.0])
    tv = 2 * special.ndtr(0.25) - 1  # 0.197
    _, g, err = frontier_1d(p, q, [0.0, 0.1, tv + 0.02], atoms=4000)
    assert abs(g[0] - 0.5) <= 2 * err[0]  # W2 = |Δμ|; error ≈ |γ_n − γ_{n/2}| (~1/n)
    assert g[0] > g[1] > g[2]
    assert g[2] < 0.01  # beyond TV: zero cost up to the discretisation


def test_product_frontier_bracket():
    mix, _ = _line_mixture(8, seed=2)
    law = output_law(mix, TIMES)
    tv = law.tv(mix)
    fr = law.closeness_frontier(mix, [0.0, 0.05, tv + 0.01], atoms=1000)
    assert np.all(fr.lower <= fr.upper)
    _, g1, _ = frontier_1d(law.line, factorize(mix, law.direction).line, [0.0, 0.05],
                           atoms=1000)
    assert np.all(fr.lower[:2] >= g1)  # the v-block alone is a lower bound
    # at ε = 0 both ends are W2 (the block W2²s of two isotropic Gaussians add up to theirs)
    w2 = law.w2(mix)
    assert fr.lower[0] == pytest.approx(w2, abs=2 * fr.error[0])
    assert fr.upper[0] == pytest.approx(w2, abs=2 * fr.error[0])
    assert fr.lower[2] == fr.upper[2] == 0.0  # beyond TV
    same = ProductLaw(law.line, law.direction, factorize(mix, law.direction).perp_mean,
                      factorize(mix, law.direction).perp_var)
    fr2 = same.closeness_frontier(mix, [0.05], atoms=1000)
    assert fr2.lower[0] == pytest.approx(fr2.upper[0], rel=1e-12)


def test_frontier_1d_accepts_scipy_distributions():
    # two normals: γ*(0) = W2 = hypot(Δμ, Δσ) in closed form
    _, g, err = frontier_1d(stats.norm(0.0, 1.0), stats.norm(0.3, 1.5), [0.0], atoms=4000)
    assert abs(g[0] - math.hypot(0.3, 0.5)) <= 2 * err[0]
    with pytest.raises(TypeError, match="p"):
        frontier_1d(np.zeros(3), stats.norm(), 0.1)


# ------------------------------------------------------------------ what does not factorise
def test_mixtures_and_errors_outside_the_family_raise_saying_why():
    mix, v = _line_mixture(3)
    other = np.cross(v, [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="isotropic"):
        output_law(GaussianMixture([0.5, 0.5], [np.zeros(3), v], [0.2, 0.3]), TIMES)
    with pytest.raises(ValueError, match="one line"):
        output_law(GaussianMixture([0.3, 0.3, 0.4], [np.zeros(3), v, other], [0.2] * 3), TIMES)
    with pytest.raises(ValueError, match="not a fixed vector"):
        output_law(perturbed_score(mix, eps=0.1, delta=0.1, bad_magnitude=1.0,
                                   halfspace_normal=v), TIMES)
    with pytest.raises(ValueError, match="not along"):
        output_law(perturbed_score(mix, eps=0.1, delta=0.1, bad_magnitude=1.0,
                                   halfspace_normal=other, direction=v), TIMES)
    with pytest.raises(ValueError, match="not along"):
        output_law(perturbed_score(mix, eps=0.1, delta=0.1, bad_magnitude=1.0,
                                   halfspace_normal=v, direction=other), TIMES)
    with pytest.raises(ValueError, match="tail"):
        output_law(perturbed_score(mix, eps=0.1, delta=0.1, bad_magnitude=1.0, region="tail",
                                   direction=v), TIMES)
    with pytest.raises(TypeError, match="score"):
        output_law(mixture_score(mix), TIMES)
    with pytest.raises(TypeError, match="score"):
        output_law(lambda x, t: -x, TIMES)
    with pytest.raises(ValueError, match="sampler"):
        output_law(mix, TIMES, sampler="heun")
    law = output_law(mix, TIMES)
    with pytest.raises(ValueError, match="target"):
        law.w2(GaussianMixture([1.0], [np.zeros(3)], [[1.0, 2.0, 1.0]]))
    with pytest.raises(ValueError, match="target"):
        law.tv(GaussianMixture([1.0], [np.zeros(4)], [1.0]))
    with pytest.raises(ValueError, match="times"):
        output_law(mix, [0.1, 1.0])
    with pytest.raises(ValueError, match="perp_mean"):
        ProductLaw(law.line, law.direction, law.direction, 1.0)
    with pytest.raises(ValueError, match="direction"):
        ProductLaw(law.line, 2 * law.direction, law.perp_mean, 1.0)
    with pytest.raises(ValueError, match="perp_var"):
        ProductLaw(law.line, law.direction, law.perp_mean, -1.0)
    lossy = GridLaw(np.array([0.3, 0.3]), 0.1, 0, lost_mass=0.4)
    with pytest.raises(ValueError, match="lost_mass"):
        frontier_1d(lossy, GaussianMixture([1.0], [0.0], [1.0]), 0.1)
