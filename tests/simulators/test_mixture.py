"""Tests of simulators.mixture.GaussianMixture against independent oracles.

Exact identities (closed forms, SciPy, mpmath) use tight tolerances; statistical checks use fixed
seeds and acceptance bands stated next to each assertion (emcee style): 5 standard errors for
means and covariances (two-sided false-alarm rate ~6e-7 per entry) and a Kolmogorov-Smirnov
p-value above 1e-3 per coordinate.
"""

from __future__ import annotations

import json
import math
import pickle

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special, stats

from diffbounds.simulators import strategies
from diffbounds.simulators.mixture import GaussianMixture

RNG_SEED = 20240611


# --------------------------------------------------------------------------------------------
# fixtures and references
# --------------------------------------------------------------------------------------------


def _spd(rng, d, lo=0.3, hi=3.0):
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    lam = np.exp(rng.uniform(np.log(lo), np.log(hi), size=d))
    cov = (q * lam) @ q.T
    return 0.5 * (cov + cov.T)


def make_mixture(cov_type, d=3, K=3, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.2, 1.0, size=K)
    w /= w.sum()
    mu = rng.normal(scale=2.0, size=(K, d))
    if cov_type == "isotropic":
        cov = rng.uniform(0.3, 2.0, size=K)
    elif cov_type == "diagonal":
        cov = rng.uniform(0.3, 2.0, size=(K, d))
    else:
        cov = np.stack([_spd(rng, d) for _ in range(K)])
    return GaussianMixture(w, mu, cov)


COV_TYPES = ("isotropic", "diagonal", "full")


def scipy_log_prob(m: GaussianMixture, x):
    """Independent reference: logsumexp_k [log w_k + scipy multivariate_normal.logpdf]."""
    covs = m.covariance_matrices()
    terms = [
        np.log(m.weights[k]) + stats.multivariate_normal(m.means[k], covs[k]).logpdf(x)
        for k in range(m.n_components)
    ]
    return special.logsumexp(np.stack(terms, axis=-1), axis=-1)


def fd_gradient(f, x, h):
    """Fourth-order central difference: (-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)) / 12h."""
    x = np.asarray(x, dtype=float)
    grad = np.empty_like(x)
    for i in range(x.shape[-1]):
        e = np.zeros(x.shape[-1])
        e[i] = h
        grad[..., i] = (-f(x + 2 * e) + 8 * f(x + e) - 8 * f(x - e) + f(x - 2 * e)) / (12 * h)
    return grad


def mixture_covariance(m: GaussianMixture):
    """Cov x = sum_k w_k (Sigma_k + mu_k mu_k^T) - E x E x^T (closed form)."""
    w = m.weights / m.weights.sum()
    mean = w @ m.means
    second = np.einsum("k,kij->ij", w, m.covariance_matrices()) + np.einsum(
        "k,ki,kj->ij", w, m.means, m.means
    )
    return second - np.outer(mean, mean)


def assert_mean_cov_within_band(samples, mean, cov, n_se=5.0):
    """Sample mean and covariance within n_se standard errors (SE estimated from the samples)."""
    n = samples.shape[0]
    centred = samples - samples.mean(axis=0)
    se_mean = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(samples.mean(axis=0) - mean) <= n_se * se_mean)
    prods = np.einsum("ni,nj->nij", centred, centred)
    se_cov = prods.std(axis=0) / math.sqrt(n)
    assert np.all(np.abs(prods.mean(axis=0) - cov) <= n_se * se_cov + 1e-12)


# --------------------------------------------------------------------------------------------
# construction and structure
# --------------------------------------------------------------------------------------------


def test_covariance_forms_and_cov_type():
    mu = [[0.0, 1.0], [2.0, 3.0]]
    w = [0.25, 0.75]
    iso_shared = GaussianMixture(w, mu, 2.0)
    iso = GaussianMixture(w, mu, [1.0, 2.0])
    diag = GaussianMixture(w, mu, [[1.0, 2.0], [3.0, 4.0]])  # d == K: ndim 2 means diagonals
    full = GaussianMixture(w, mu, [[[2.0, 0.5], [0.5, 1.0]], np.eye(2)])
    assert iso_shared.cov_type == "isotropic"
    np.testing.assert_array_equal(iso_shared.variances, [2.0, 2.0])
    assert iso.cov_type == "isotropic" and iso.variances.shape == (2,)
    assert diag.cov_type == "diagonal" and diag.variances.shape == (2, 2)
    np.testing.assert_array_equal(diag.eigvals, [[1.0, 2.0], [3.0, 4.0]])
    assert full.cov_type == "full" and full.variances is None
    assert full.eigvecs.shape == (2, 2, 2)
    np.testing.assert_array_equal(iso.eigvals, [[1.0, 1.0], [2.0, 2.0]])
    assert iso.eigvecs is None and diag.eigvecs is None
    for m in (iso_shared, iso, diag, full):
        assert m.dim == 2 and m.n_components == 2


def test_mixed_covariance_list_is_promoted():
    mu = np.zeros((3, 2))
    w = np.full(3, 1 / 3)
    diag = GaussianMixture(w, mu, [1.0, [2.0, 3.0], 4.0])
    assert diag.cov_type == "diagonal"
    np.testing.assert_array_equal(diag.variances, [[1, 1], [2, 3], [4, 4]])
    full = GaussianMixture(w, mu, [1.0, [2.0, 3.0], [[2.0, 1.0], [1.0, 2.0]]])
    assert full.cov_type == "full"
    expected = np.array([np.eye(2), np.diag([2.0, 3.0]), [[2.0, 1.0], [1.0, 2.0]]])
    np.testing.assert_allclose(full.covariance_matrices(), expected, rtol=1e-14, atol=1e-15)


def test_one_dimensional_means_vector():
    m = GaussianMixture([0.5, 0.5], [-1.0, 1.0], 1.0)
    assert m.dim == 1 and m.means.shape == (2, 1)


def test_eigen_attributes_reconstruct_covariances():
    m = make_mixture("full", d=4, K=2, seed=3)
    q, lam = m.eigvecs, m.eigvals
    rebuilt = np.einsum("kij,kj,klj->kil", q, lam, q)
    np.testing.assert_allclose(rebuilt, m.covariance_matrices(), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(
        np.einsum("kji,kjl->kil", q, q), np.broadcast_to(np.eye(4), q.shape), atol=1e-14
    )


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_attributes_are_read_only_float64(cov_type):
    m = make_mixture(cov_type)
    arrays = [m.weights, m.log_weights, m.means, m.eigvals]
    arrays += [a for a in (m.eigvecs, m.variances) if a is not None]
    for a in arrays:
        assert a.dtype == np.float64 and not a.flags.writeable
        with pytest.raises(ValueError):
            a[(0,) * a.ndim] = 1.0
    np.testing.assert_allclose(np.exp(m.log_weights), m.weights, rtol=1e-15)


def test_pickle_round_trip_keeps_arrays_read_only():
    m = make_mixture("full").at(0.2)
    back = pickle.loads(pickle.dumps(m))
    assert back.cov_type == "full" and not back.means.flags.writeable
    assert not back.eigvecs.flags.writeable
    np.testing.assert_array_equal(back.covariance_matrices(), m.covariance_matrices())
    np.testing.assert_array_equal(back.score(np.ones(3)), m.score(np.ones(3)))


def test_normalize_scales_weights():
    a = GaussianMixture([1.0, 3.0], [[0.0], [1.0]], 1.0, normalize=True)
    np.testing.assert_array_equal(a.weights, [0.25, 0.75])


# --------------------------------------------------------------------------------------------
# log_prob and score: exact identities
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_log_prob_matches_scipy(cov_type):
    m = make_mixture(cov_type, d=3, K=3, seed=1)
    x = np.random.default_rng(2).normal(scale=3.0, size=(50, 3))
    np.testing.assert_allclose(m.log_prob(x), scipy_log_prob(m, x), rtol=1e-12, atol=1e-12)
    assert np.ndim(m.log_prob(x[0])) == 0
    assert m.log_prob(x[0]) == pytest.approx(scipy_log_prob(m, x[0]), rel=1e-12)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_single_component_score_is_gaussian_score(cov_type):
    m = make_mixture(cov_type, d=4, K=1, seed=4)
    x = np.random.default_rng(5).normal(scale=2.0, size=(20, 4))
    expected = -np.linalg.solve(m.covariance_matrices()[0], (x - m.means[0]).T).T
    # cond(Sigma) <= 10: both sides are backward stable, so 1e-12 relative is ample
    np.testing.assert_allclose(m.score(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_score_is_gradient_of_log_prob(cov_type):
    m = make_mixture(cov_type, d=3, K=3, seed=6)
    x = np.random.default_rng(7).normal(scale=2.0, size=(30, 3))
    # 4th-order stencil, h = 1e-3: truncation h^4/30 |d^5 log q| ~ 1e-12 for these scales,
    # rounding 1.5 eps |log q| / h ~ 1e-11; tolerance 1e-8 (1 + |s|)
    fd = fd_gradient(m.log_prob, x, 1e-3)
    s = m.score(x)
    assert np.all(np.abs(s - fd) <= 1e-8 * (1 + np.abs(s)))


def test_no_cancellation_far_from_origin():
    # expanding ||x||^2 - 2<x, mu> + ||mu||^2 at |mu| = 1e8 would lose all digits
    m = GaussianMixture([1.0], [[1e8, -1e8]], 1.0)
    x = np.array([1e8 + 0.5, -1e8 - 0.25])
    assert m.log_prob(x) == pytest.approx(-math.log(2 * math.pi) - 0.5 * (0.25 + 0.0625), 1e-15)
    np.testing.assert_allclose(m.score(x), [-0.5, 0.25], rtol=1e-15)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_permutation_invariance(cov_type):
    m = make_mixture(cov_type, d=3, K=4, seed=8)
    perm = [2, 0, 3, 1]
    d = m.to_dict()
    permuted = GaussianMixture(
        np.array(d["weights"])[perm],
        np.array(d["means"])[perm],
        np.array(d["covariances"])[perm],
    )
    x = np.random.default_rng(9).normal(scale=3.0, size=(40, 3))
    np.testing.assert_allclose(permuted.log_prob(x), m.log_prob(x), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(permuted.score(x), m.score(x), rtol=1e-12, atol=1e-12)


def test_x_shapes():
    m = make_mixture("full", d=3, K=2)
    x = np.ones((5, 3))
    assert m.score(x).shape == (5, 3) and m.log_prob(x).shape == (5,)
    assert m.score(x[0]).shape == (3,) and np.ndim(m.log_prob(x[0])) == 0
    assert m.score(np.ones((2, 5, 3))).shape == (2, 5, 3)
    one = GaussianMixture([0.5, 0.5], [-1.0, 1.0], [0.5, 2.0])
    grid = np.linspace(-3, 3, 7)
    assert one.score(grid).shape == (7,) and one.log_prob(grid).shape == (7,)
    assert one.score(grid[:, None]).shape == (7, 1) and one.log_prob(grid[:, None]).shape == (7,)
    assert np.ndim(one.score(0.3)) == 0 and np.ndim(one.log_prob(0.3)) == 0
    np.testing.assert_allclose(one.score(grid), one.score(grid[:, None])[:, 0], rtol=0)


# --------------------------------------------------------------------------------------------
# the forward process
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_at_zero_is_exact_identity(cov_type):
    m = make_mixture(cov_type)
    m0 = m.at(0)
    assert m0.cov_type == m.cov_type
    for name in ("weights", "log_weights", "means", "eigvals", "variances"):
        a, b = getattr(m, name), getattr(m0, name)
        assert (a is None and b is None) or np.array_equal(a, b)
    if cov_type == "full":
        assert m0.eigvecs is m.eigvecs


@pytest.mark.parametrize("cov_type", COV_TYPES)
@pytest.mark.parametrize("t", [1e-12, 0.01, 0.7, 3.0])
def test_at_matches_closed_form(cov_type, t):
    m = make_mixture(cov_type, seed=10)
    mt = m.at(t)
    assert mt.cov_type == cov_type
    if cov_type == "full":
        assert mt.eigvecs is m.eigvecs  # reused, not recomputed
    sigma2 = -math.expm1(-2 * t)
    expected_cov = math.exp(-2 * t) * m.covariance_matrices() + sigma2 * np.eye(m.dim)
    np.testing.assert_allclose(mt.covariance_matrices(), expected_cov, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(mt.means, math.exp(-t) * m.means, rtol=1e-15)
    np.testing.assert_array_equal(mt.weights, m.weights)


def test_at_small_t_keeps_relative_accuracy():
    m = GaussianMixture([1.0], [[0.0]], 1e-6)
    t = 1e-10
    # sigma_t^2 = 1 - e^{-2t} = 2t - 2t^2 + ...; 1 - exp(-2t) in float64 would lose 6 digits
    expected = 1e-6 * math.exp(-2 * t) + (2 * t - 2 * t * t)
    assert m.at(t).variances[0] == pytest.approx(expected, rel=1e-15)


def test_at_semigroup():
    m = make_mixture("full", seed=11)
    a = m.at(0.3).at(0.5)
    b = m.at(0.8)
    np.testing.assert_allclose(a.means, b.means, rtol=1e-14)
    np.testing.assert_allclose(a.eigvals, b.eigvals, rtol=1e-14)


def test_at_large_t_tends_to_standard_normal():
    m = make_mixture("full", d=3, seed=12)
    x = np.random.default_rng(13).normal(scale=3.0, size=(20, 3))
    for t, tol in ((10.0, 1e-3), (20.0, 1e-7), (40.0, 1e-15)):
        # |s_t(x) + x| <= e^{-t} max|mu| + e^{-2t} max|lambda - 1| |x|
        np.testing.assert_allclose(m.at(t).score(x), -x, rtol=0, atol=tol * 20)
    np.testing.assert_allclose(
        m.at(40.0).log_prob(x), stats.multivariate_normal(np.zeros(3)).logpdf(x), rtol=1e-14
    )


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_at_agrees_with_forward_sde_monte_carlo(cov_type):
    m = make_mixture(cov_type, d=3, K=3, seed=14)
    t = 0.4
    n = 40_000
    x0 = m.sample(n, seed=15)
    z = np.random.default_rng(16).standard_normal(x0.shape)
    xt = math.exp(-t) * x0 + math.sqrt(-math.expm1(-2 * t)) * z
    mt = m.at(t)
    assert_mean_cov_within_band(xt, mt.mean(), mixture_covariance(mt))
    for i in range(3):
        e = np.zeros(3)
        e[i] = 1.0
        assert stats.kstest(xt[:, i], mt.project(e).cdf).pvalue > 1e-3


# --------------------------------------------------------------------------------------------
# moments, sampling, projections
# --------------------------------------------------------------------------------------------


def test_mean_and_second_moment_closed_form():
    m = GaussianMixture([0.25, 0.75], [[1.0, 2.0], [-1.0, 0.0]], [[2.0, 3.0], [0.5, 0.5]])
    np.testing.assert_allclose(m.mean(), [-0.5, 0.5], rtol=1e-15)
    # 0.25 (1 + 4 + 2 + 3) + 0.75 (1 + 0 + 0.5 + 0.5)
    assert m.second_moment() == pytest.approx(4.0, rel=1e-15)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_sample_moments_and_marginals(cov_type):
    m = make_mixture(cov_type, d=3, K=3, seed=17)
    x = m.sample(40_000, seed=18)
    assert x.shape == (40_000, 3) and x.dtype == np.float64
    assert_mean_cov_within_band(x, m.mean(), mixture_covariance(m))
    sq = np.sum(x**2, axis=1)
    assert abs(sq.mean() - m.second_moment()) <= 5 * sq.std() / math.sqrt(len(sq))
    for i in range(3):
        e = np.zeros(3)
        e[i] = 1.0
        assert stats.kstest(x[:, i], m.project(e).cdf).pvalue > 1e-3


def test_sample_is_reproducible_and_leaves_global_rng_alone():
    m = make_mixture("full")
    state = np.random.get_state()[1].copy()
    a = m.sample(100, seed=1)
    np.testing.assert_array_equal(a, m.sample(100, seed=1))
    np.testing.assert_array_equal(a, m.sample(100, seed=np.random.default_rng(1)))
    assert not np.array_equal(a, m.sample(100, seed=2))
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_sample_never_draws_zero_weight_component():
    m = GaussianMixture([0.5, 0.0, 0.5], [[-100.0], [0.0], [100.0]], 1.0)
    x = m.sample(20_000, seed=3)
    assert np.all(np.abs(np.abs(x) - 100.0) < 10.0)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_project_closed_form_and_sampling(cov_type):
    m = make_mixture(cov_type, d=3, K=3, seed=19)
    v = np.array([0.3, -1.2, 0.7])
    p = m.project(v)
    assert p.dim == 1
    np.testing.assert_allclose(p.means[:, 0], m.means @ v, rtol=1e-14)
    expected_var = np.einsum("i,kij,j->k", v, m.covariance_matrices(), v)
    np.testing.assert_allclose(p.eigvals[:, 0], expected_var, rtol=1e-13)
    samples = m.sample(20_000, seed=20) @ v
    assert stats.kstest(samples, p.cdf).pvalue > 1e-3


# --------------------------------------------------------------------------------------------
# one-dimensional laws
# --------------------------------------------------------------------------------------------


ONE_D = GaussianMixture([0.2, 0.5, 0.3], [-1.0, 0.5, 3.0], [0.3, 1.0, 2.0])


def test_cdf_pdf_match_scipy_norm():
    x = np.linspace(-8, 10, 301)
    mu, sd, w = ONE_D.means[:, 0], np.sqrt(ONE_D.eigvals[:, 0]), ONE_D.weights
    cdf = sum(w[k] * stats.norm(mu[k], sd[k]).cdf(x) for k in range(3))
    sf = sum(w[k] * stats.norm(mu[k], sd[k]).sf(x) for k in range(3))
    pdf = sum(w[k] * stats.norm(mu[k], sd[k]).pdf(x) for k in range(3))
    np.testing.assert_allclose(ONE_D.cdf(x), cdf, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(ONE_D.sf(x), sf, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(ONE_D.pdf(x), pdf, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(ONE_D.pdf(x), np.exp(ONE_D.log_prob(x)), rtol=1e-13)
    assert ONE_D.cdf(x.reshape(7, 43)).shape == (7, 43)


def _mp_quantile(m, p, dps=50):
    """High-precision reference: root of F(x) = p with mpmath."""
    with mpmath.workdps(dps):
        mu = [mpmath.mpf(float(v)) for v in m.means[:, 0]]
        sd = [mpmath.sqrt(mpmath.mpf(float(v))) for v in m.eigvals[:, 0]]
        w = [mpmath.mpf(float(v)) for v in m.weights]
        w = [v / sum(w) for v in w]  # the mixture normalises weights that sum to 1 +- ulps
        target = mpmath.mpf(p)

        def f(x):
            return sum(w[k] * mpmath.ncdf((x - mu[k]) / sd[k]) for k in range(len(w))) - target

        x0 = mpmath.mpf(float(m.quantile(p)))
        return float(mpmath.findroot(f, x0, tol=mpmath.mpf(10) ** (-dps + 5)))


@pytest.mark.parametrize("p", [1e-200, 1e-9, 0.01, 0.3, 0.5, 0.77, 0.999, 1 - 1e-12])
def test_quantile_matches_mpmath(p):
    assert ONE_D.quantile(p) == pytest.approx(_mp_quantile(ONE_D, p), rel=1e-10, abs=1e-14)


def test_quantile_round_trip():
    p = np.concatenate([np.logspace(-250, -1, 40), np.linspace(0.05, 0.95, 31)])
    x = ONE_D.quantile(p)
    np.testing.assert_allclose(ONE_D.cdf(x), p, rtol=1e-12)
    q = np.logspace(-15, -1, 30)
    x_up = ONE_D.quantile(1 - q)  # upper tail: checked on the survival function
    np.testing.assert_allclose(ONE_D.sf(x_up), 1 - (1 - q), rtol=1e-12)
    np.testing.assert_array_equal(ONE_D.cdf([-np.inf, np.inf]), [0.0, 1.0])
    np.testing.assert_array_equal(ONE_D.pdf([-np.inf, np.inf]), [0.0, 0.0])
    grid = np.linspace(-3, 5, 41)
    np.testing.assert_allclose(ONE_D.quantile(ONE_D.cdf(grid)), grid, rtol=1e-10, atol=1e-12)
    assert ONE_D.quantile(0.0) == -np.inf and ONE_D.quantile(1.0) == np.inf
    assert ONE_D.quantile(p.reshape(-1, 1)).shape == (71, 1)


# --------------------------------------------------------------------------------------------
# configs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_json_round_trip(cov_type):
    m = make_mixture(cov_type, d=2, K=2)  # d == K: structure must survive
    text = m.to_json()
    back = GaussianMixture.from_json(text)
    assert back.cov_type == cov_type
    assert json.loads(text)["cov_type"] == cov_type
    np.testing.assert_array_equal(back.weights, m.weights)
    np.testing.assert_array_equal(back.means, m.means)
    # bit-for-bit, also for full covariances (the validated input matrix is kept)
    np.testing.assert_array_equal(back.covariance_matrices(), m.covariance_matrices())
    np.testing.assert_array_equal(back.eigvals, m.eigvals)
    assert back.to_dict() == m.to_dict()
    # a marginal's config round-trips to within rounding of e^{-2t} Sigma + sigma_t^2 I
    mt = m.at(0.3)
    back_t = GaussianMixture.from_json(mt.to_json())
    assert back_t.cov_type == cov_type
    np.testing.assert_allclose(back_t.eigvals, mt.eigvals, rtol=1e-14)


def test_from_dict_rejects_inconsistent_config():
    d = make_mixture("diagonal").to_dict()
    with pytest.raises(ValueError, match="^data"):
        GaussianMixture.from_dict({**d, "cov_type": "full"})
    with pytest.raises(ValueError, match="^data"):
        GaussianMixture.from_dict({"weights": [1.0], "means": [[0.0]]})
    with pytest.raises(ValueError, match="^data"):
        GaussianMixture.from_dict({**d, "colour": "red"})
    with pytest.raises(ValueError, match="^s"):
        GaussianMixture.from_json("{not json")
    with pytest.raises(TypeError):
        GaussianMixture.from_dict([1, 2])


# --------------------------------------------------------------------------------------------
# numerically extreme mixtures
# --------------------------------------------------------------------------------------------


def _mp_reference(x, weights, means, dps=60):
    """mpmath reference for a unit-variance 1-D mixture at the float x.

    Returns (score, log q(x), Var_r(x - mu)), the last being the responsibility variance, so that
    d score / dx = -1 + Var_r(x - mu) sets the conditioning of the score at x.
    """
    with mpmath.workdps(dps):
        x = mpmath.mpf(x)
        w = [mpmath.mpf(v) for v in weights]
        w = [v / sum(w) for v in w]
        mu = [mpmath.mpf(v) for v in means]
        terms = [wk * mpmath.exp(-((x - mk) ** 2) / 2) for wk, mk in zip(w, mu, strict=True)]
        total = sum(terms)
        r = [t / total for t in terms]
        first = sum(rk * (x - mk) for rk, mk in zip(r, mu, strict=True))
        second = sum(rk * (x - mk) ** 2 for rk, mk in zip(r, mu, strict=True))
        log_q = mpmath.log(total) - mpmath.log(2 * mpmath.pi) / 2
        return float(-first), float(log_q), float(second - first**2)


def assert_score_close(m, x, weights, means):
    """Tolerance model: the computed score is the exact score at x (1 + 8 eps) away in x.

    |s - s_ref| <= 1e-12 |s_ref| + 8 eps max(|x|, max|mu|) (1 + Var_r(x - mu)), i.e. a backward
    error of a few ulps of the inputs, amplified by |ds/dx| <= 1 + Var_r(x - mu); log q is
    compared with relative tolerance 1e-14.
    """
    ref_score, ref_lp, var_r = _mp_reference(x, weights, means)
    scale = max(abs(x), max(abs(v) for v in means))
    tol = 1e-12 * abs(ref_score) + 8 * np.finfo(float).eps * scale * (1 + var_r)
    assert abs(m.score(x) - ref_score) <= tol
    assert m.log_prob(x) == pytest.approx(ref_lp, rel=1e-14)


@pytest.mark.parametrize("sign", [-1.0, 1.0])
def test_figure1_mixture_score_is_finite_and_correct(sign):
    # Gupta et al. Figure 1: (1 - eta) N(0, 1) + eta N(+-R, 1), eta = 1e-3, R = 1e4
    weights, means = [0.999, 0.001], [0.0, sign * 1e4]
    m = GaussianMixture(weights, means, 1.0)
    grid = np.linspace(-20_000, 20_000, 40_001)
    s = m.score(grid)
    lp = m.log_prob(grid)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(lp))
    # away from the crossing the score is that of the dominant component (exactly)
    far = np.abs(grid - sign * 5000) > 10
    nearest = np.where(np.abs(grid) < np.abs(grid - sign * 1e4), 0.0, sign * 1e4)
    np.testing.assert_allclose(s[far], -(grid[far] - nearest[far]), rtol=1e-12, atol=1e-12)
    crossing = sign * (5000 - math.log(999) / 1e4)  # where both components weigh equally
    points = [-20_000.0, -10_000.0, -1.0, 0.0, 2.5, 4_990.0, 5000.0, 9_999.0, 20_000.0]
    points += [crossing, crossing + sign * 1e-3, crossing - sign * 2e-4]
    for x in points:
        assert_score_close(m, x, weights, means)


def test_high_dimensional_isotropic_mixture():
    d = 1000
    rng = np.random.default_rng(21)
    mu = rng.normal(size=(2, d))
    var = np.array([0.5, 2.0])
    m = GaussianMixture([0.3, 0.7], mu, var)
    x = np.concatenate([m.sample(200, seed=22), 50.0 * rng.normal(size=(5, d))])
    diff = x[:, None, :] - mu[None]
    logs = (
        np.log([0.3, 0.7]) - 0.5 * d * np.log(2 * np.pi * var) - 0.5 * np.sum(diff**2, axis=2) / var
    )
    ref_lp = special.logsumexp(logs, axis=1)
    r = special.softmax(logs, axis=1)
    ref_score = -np.einsum("nk,nki->ni", r / var, diff)
    np.testing.assert_allclose(m.log_prob(x), ref_lp, rtol=1e-13)
    np.testing.assert_allclose(m.score(x), ref_score, rtol=1e-11, atol=1e-11)
    assert np.all(np.isfinite(m.at(0.01).score(x)))


def test_tiny_weight_component():
    w = [1 - 1e-12, 1e-12]
    m = GaussianMixture(w, [0.0, 30.0], 1.0)
    for x in [-5.0, 0.0, 14.0, 15.0 + math.log(1e12) / 30, 20.0, 30.0, 45.0]:
        assert_score_close(m, x, w, [0.0, 30.0])
    assert m.log_weights[1] == pytest.approx(math.log(1e-12), rel=1e-15)
    assert np.all(np.isfinite(m.sample(10_000, seed=4)))
    assert m.quantile(1 - 5e-13) == pytest.approx(_mp_quantile(m, 1 - 5e-13), rel=1e-10)


def test_overflowing_score_raises_instead_of_nan():
    # (1e200, 1e200) has a representable score (issue 13: computed, see test_misuse.py);
    # here Sigma^{-1} x itself exceeds float64 (variances < 1)
    m = make_mixture("isotropic", d=2, K=2)
    with pytest.raises(FloatingPointError, match="^x"):
        m.score([1.7e308, -1.7e308])
    assert np.all(np.isfinite(m.score([1e200, 1e200])))


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------

GOOD_W, GOOD_MU = [0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]]


@pytest.mark.parametrize(
    ("kwargs", "argname"),
    [
        ({"weights": [1.5, -0.5]}, "weights"),
        ({"weights": [np.nan, 1.0]}, "weights"),
        ({"weights": [np.inf, 1.0]}, "weights"),
        ({"weights": [0.5, 0.6]}, "weights"),
        ({"weights": [0.5, 0.5 + 1e-8]}, "weights"),
        ({"weights": [[0.5, 0.5]]}, "weights"),
        ({"weights": []}, "weights"),
        ({"means": [[0.0, 0.0]]}, "means"),
        ({"means": [[0.0, np.nan], [1.0, 1.0]]}, "means"),
        ({"means": [[0.0, 0.0], [1.0]]}, "means"),
        ({"covariances": [1.0, 2.0, 3.0]}, "covariances"),
        ({"covariances": -1.0}, "covariances"),
        ({"covariances": [1.0, 0.0]}, "covariances"),
        ({"covariances": [[1.0, 1.0], [1.0, -1.0]]}, "covariances"),
        ({"covariances": [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]}, "covariances"),
        ({"covariances": [[[1.0, 0.5], [0.4, 1.0]]] * 2}, "covariances"),
        ({"covariances": [[[1.0, 2.0], [2.0, 1.0]]] * 2}, "covariances"),
        ({"covariances": [[[1.0, 1.0], [1.0, 1.0]]] * 2}, "covariances"),
        ({"covariances": [np.eye(2), np.eye(3)]}, "covariances"),
        ({"covariances": [1.0, [1.0, 2.0, 3.0]]}, "covariances"),
        ({"covariances": np.inf}, "covariances"),
        ({"covariances": np.ones((2, 2, 2, 2))}, "covariances"),
    ],
)
def test_constructor_rejects_bad_input(kwargs, argname):
    args = {"weights": GOOD_W, "means": GOOD_MU, "covariances": 1.0, **kwargs}
    with pytest.raises(ValueError, match=f"^{argname}"):
        GaussianMixture(args["weights"], args["means"], args["covariances"])


def test_weights_not_summing_to_one_accepted_with_normalize():
    GaussianMixture([0.5, 0.6], GOOD_MU, 1.0, normalize=True)
    with pytest.raises(ValueError, match="^weights"):
        GaussianMixture([0.0, 0.0], GOOD_MU, 1.0, normalize=True)


@pytest.mark.parametrize(
    ("weights", "means", "cov"),
    [
        ("ab", GOOD_MU, 1.0),
        (GOOD_W, "means", 1.0),
        (GOOD_W, GOOD_MU, "1"),
        (None, GOOD_MU, 1.0),
        ([1 + 1j, 0], GOOD_MU, 1.0),
    ],
)
def test_constructor_rejects_wrong_types(weights, means, cov):
    with pytest.raises(TypeError):
        GaussianMixture(weights, means, cov)


def test_method_arguments_are_validated():
    m = make_mixture("full", d=3)
    for bad_t in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="^t"):
            m.at(bad_t)
    with pytest.raises(TypeError):
        m.at("1")
    for bad_x in (np.ones(2), np.ones((4, 2)), 1.0, [np.nan, 0.0, 0.0]):
        with pytest.raises(ValueError, match="^x"):
            m.score(bad_x)
        with pytest.raises(ValueError, match="^x"):
            m.log_prob(bad_x)
    for bad_n in (0, -3):
        with pytest.raises(ValueError, match="^n"):
            m.sample(bad_n, seed=0)
    with pytest.raises(TypeError):
        m.sample(2.5, seed=0)
    with pytest.raises(ValueError, match="^v"):
        m.project(np.zeros(3))
    with pytest.raises(ValueError, match="^v"):
        m.project(np.ones(2))
    with pytest.raises(ValueError, match="^x"):
        m.cdf(0.0)  # 1-D only
    with pytest.raises(ValueError, match="^p"):
        ONE_D.quantile([0.5, 1.5])
    with pytest.raises(ValueError, match="^p"):
        ONE_D.quantile(np.nan)
    with pytest.raises(ValueError, match="^x"):
        ONE_D.score(np.ones((3, 2)))


# --------------------------------------------------------------------------------------------
# properties over strategies.mixtures()
# --------------------------------------------------------------------------------------------


@given(m=strategies.mixtures(), data=st.data())
def test_property_score_is_fd_gradient(m, data):
    x = data.draw(hnp.arrays(np.float64, m.dim, elements=st.floats(-6.0, 6.0)))
    # Tolerance model: 4th-order stencil, h = 1e-4. On the box |x| <= 6 with means in [-3, 3],
    # variances in [0.1, 4] and d <= 4, |log q| <= 2e3, so rounding <= 1.5 eps 2e3 / h < 7e-9;
    # truncation h^4/30 |d^5 log q| is far smaller (observed total error <= 2e-10 (1 + |s|)
    # over 5000 examples). Allow 1e-8 (1 + |s|).
    s = m.score(x)
    fd = fd_gradient(m.log_prob, x, 1e-4)
    assert np.all(np.abs(s - fd) <= 1e-8 * (1 + np.abs(s)))


@given(m=strategies.mixtures(), perm_seed=strategies.seeds(), data=st.data())
def test_property_permutation_invariance(m, perm_seed, data):
    x = data.draw(hnp.arrays(np.float64, (3, m.dim), elements=st.floats(-6.0, 6.0)))
    perm = np.random.default_rng(perm_seed).permutation(m.n_components)
    cfg = m.to_dict()
    p = GaussianMixture(
        np.array(cfg["weights"])[perm],
        np.array(cfg["means"])[perm],
        np.array(cfg["covariances"])[perm],
    )
    # exact up to summation order in logsumexp / the responsibility-weighted sum
    np.testing.assert_allclose(p.log_prob(x), m.log_prob(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(p.score(x), m.score(x), rtol=1e-10, atol=1e-10)


@given(m=strategies.mixtures(), t=strategies.diffusion_times(0.0, 3.0))
def test_property_at_preserves_structure_and_moments(m, t):
    mt = m.at(t)
    assert mt.cov_type == m.cov_type and mt.dim == m.dim
    # E||x_t||^2 = e^{-2t} E||x_0||^2 + sigma_t^2 d
    expected = math.exp(-2 * t) * m.second_moment() + -math.expm1(-2 * t) * m.dim
    assert mt.second_moment() == pytest.approx(expected, rel=1e-12)


@given(m=strategies.mixtures(max_dim=5, max_components=5, min_var=0.05, max_var=8.0))
def test_property_strategy_respects_documented_bounds(m):
    # the conditioning bound users state tolerances against (strategies module docstring)
    assert 1 <= m.dim <= 5 and 1 <= m.n_components <= 5
    assert np.all(m.eigvals >= 0.05 * (1 - 1e-12)) and np.all(m.eigvals <= 8.0 * (1 + 1e-12))
    assert np.all(np.abs(m.means) <= 3.0)
    assert np.all(m.weights >= 0.05 / m.n_components * (1 - 1e-12))
    assert m.weights.sum() == pytest.approx(1.0, abs=1e-12)


@given(m=strategies.mixtures(cov_types=("diagonal",), min_dim=2, max_dim=2))
def test_property_strategy_honours_cov_types_and_dims(m):
    assert m.cov_type == "diagonal" and m.dim == 2


@pytest.mark.parametrize(
    ("kwargs", "argname"),
    [
        ({"min_dim": 0}, "min_dim"),
        ({"min_dim": 3, "max_dim": 2}, "max_dim"),
        ({"max_components": 0}, "max_components"),
        ({"cov_types": ("spherical",)}, "cov_types"),
        ({"cov_types": ()}, "cov_types"),
        ({"mean_scale": -1.0}, "mean_scale"),
        ({"min_var": 0.0}, "min_var"),
        ({"min_var": 2.0, "max_var": 1.0}, "max_var"),
    ],
)
def test_strategy_arguments_are_validated(kwargs, argname):
    with pytest.raises(ValueError, match=f"^{argname}"):
        strategies.mixtures(**kwargs)


def test_time_and_seed_strategies_validate_and_draw_in_range():
    with pytest.raises(ValueError, match="^min_t"):
        strategies.diffusion_times(-1.0, 1.0)
    with pytest.raises(ValueError, match="^max_t"):
        strategies.diffusion_times(2.0, 1.0)

    @given(t=strategies.diffusion_times(0.5, 2.0), seed=strategies.seeds())
    def check(t, seed):
        assert 0.5 <= t <= 2.0 and 0 <= seed <= 2**32 - 1

    check()
