"""Tests of simulators.metrics.

Exact identities (tight tolerances, rtol ~1e-9) are kept apart from statistical oracles, whose
bands are written next to each test as a tolerance model with the measured numbers behind it.
All randomness comes from fixed seeds.
"""

from __future__ import annotations

import math

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from diffbounds.simulators.metrics import (
    closeness_frontier,
    l2_error,
    quantile_error,
    quantile_error_interval,
    sliced_w2,
    tv_halfspace_lower_bound,
    w2,
    w2_squared,
)

try:
    from diffbounds.simulators.mixture import GaussianMixture
except ImportError:  # pragma: no cover - the mixture module is developed in parallel
    GaussianMixture = None

needs_mixture = pytest.mark.skipif(GaussianMixture is None, reason="simulators.mixture missing")


# --------------------------------------------------------------------------- helpers


class _ShiftedStdNormal:
    """Duck-typed N(mean, σ²I): only what tv_halfspace_lower_bound needs (.dim, .project)."""

    def __init__(self, mean, sigma=1.0):
        self.mean = np.asarray(mean, dtype=float)
        self.sigma = float(sigma)
        self.dim = self.mean.size

    def project(self, v):
        loc, scale = float(self.mean @ v), self.sigma * float(np.linalg.norm(v))
        return type("Proj", (), {"cdf": staticmethod(lambda z: stats.norm.cdf(z, loc, scale))})


def _emd2_oracle(x, y, a=None, b=None):
    x, y = np.atleast_2d(x.T).T, np.atleast_2d(y.T).T
    a = np.full(len(x), 1 / len(x)) if a is None else a / a.sum()
    b = np.full(len(y), 1 / len(y)) if b is None else b / b.sum()
    return float(ot.emd2(a, b, ot.dist(x, y), numItermax=10**7))


def _frontier_lp_oracle(x, y, eps, extra):
    """Brute force, 1-D: min over q′ on a grid G ⊇ supp x ∪ supp y ∪ extra and couplings π of
    (q′, ŷ) of Σ π_kj (g_k − y_j)², subject to ½ Σ_k |q′_k − p̂_k| ≤ ε (TV). Independent of the
    partial-OT reduction: free mass may go anywhere on G, and nothing is normalised."""
    grid = np.unique(np.concatenate([x, y, extra]))
    K, m = grid.size, y.size
    p = np.array([np.sum(x == g) for g in grid]) / x.size
    cost = (grid[:, None] - y[None, :]) ** 2
    nv = K * m + K  # π (row-major K×m), then t_k ≥ |q′_k − p_k|
    c = np.concatenate([cost.ravel(), np.zeros(K)])
    A_eq = np.zeros((m, nv))
    for j in range(m):
        A_eq[j, j : K * m : m] = 1.0  # column sums = 1/m
    b_eq = np.full(m, 1.0 / m)
    rows, rhs = [], []
    for k in range(K):
        q = np.zeros(nv)
        q[k * m : (k + 1) * m] = 1.0  # q′_k
        t = np.zeros(nv)
        t[K * m + k] = 1.0
        rows += [q - t, -q - t]
        rhs += [p[k], -p[k]]
    tv = np.zeros(nv)
    tv[K * m :] = 0.5
    rows.append(tv)
    rhs.append(eps)
    res = optimize.linprog(c, A_ub=np.array(rows), b_ub=rhs, A_eq=A_eq, b_eq=b_eq, method="highs")
    assert res.status == 0
    return math.sqrt(max(res.fun, 0.0))


# --------------------------------------------------------------------------- score errors


def test_quantile_error_is_the_ceil_order_statistic():
    truth = np.zeros((10, 2))
    estimate = np.column_stack([np.arange(10.0, 0.0, -1.0), np.zeros(10)])  # norms 10..1
    assert quantile_error(estimate, truth, 0.1) == 9.0  # ⌈0.9·10⌉ = 9th
    assert quantile_error(estimate, truth, 0.15) == 9.0  # ⌈8.5⌉ = 9th
    assert quantile_error(estimate, truth, 0.01) == 10.0
    assert quantile_error(estimate, truth, 0.95) == 1.0  # ⌈0.5⌉ = 1st
    assert quantile_error(estimate[:, 0], truth[:, 0], 0.3) == 7.0  # (n,) means d = 1


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 60),
    delta=st.floats(0.001, 0.999),
    seed=st.integers(0, 2**32 - 1),
)
def test_quantile_error_satisfies_the_definition(n, delta, seed):
    # D = inf{ε : P̂[‖e‖ ≥ ε] ≤ δ}: P̂[‖e‖ > D] ≤ δ and P̂[‖e‖ ≥ D] > δ (tolerance 1e-9 for the
    # rounding of (1−δ)n near an integer).
    rng = np.random.default_rng(seed)
    est, tru = rng.normal(size=(n, 3)), rng.normal(size=(n, 3))
    norms = np.linalg.norm(est - tru, axis=1)
    d = quantile_error(est, tru, delta)
    assert d in norms
    assert np.mean(norms > d) <= delta + 1e-9
    assert np.mean(norms >= d) > delta - 1e-9


def test_l2_error_is_mean_squared_norm():
    rng = np.random.default_rng(1)
    est, tru = rng.normal(size=(50, 4)), rng.normal(size=(50, 4))
    assert l2_error(est, tru) == pytest.approx(np.mean(np.sum((est - tru) ** 2, axis=1)), 1e-12)


def test_quantile_interval_small_n_sides_are_trivial():
    est = np.array([[1.0], [2.0], [3.0]])
    # Binomial(3, 0.5): P[B = 0] = P[B = 3] = 0.125 > 0.025, so neither side has a rank.
    assert quantile_error_interval(est, np.zeros_like(est), 0.5, 0.95) == (0.0, math.inf)


def test_quantile_interval_brackets_the_point_estimate_and_uses_binomial_ranks():
    rng = np.random.default_rng(2)
    est, tru = rng.normal(size=(400, 2)), np.zeros((400, 2))
    lo, hi = quantile_error_interval(est, tru, 0.1, confidence=0.9)
    assert lo <= quantile_error(est, tru, 0.1) <= hi
    norms = np.sort(np.linalg.norm(est, axis=1))
    cdf = stats.binom.cdf(np.arange(401), 400, 0.9)
    l_rank = int(np.sum(cdf <= 0.05))
    u_rank = int(np.argmax(stats.binom.sf(np.arange(401), 400, 0.9) <= 0.05)) + 1
    assert (lo, hi) == (norms[l_rank - 1], norms[u_rank - 1])
    assert stats.binom.cdf(u_rank - 1, 400, 0.9) - stats.binom.cdf(l_rank - 1, 400, 0.9) >= 0.9


def test_quantile_interval_coverage_by_simulation():
    # Errors ~ N(0, I_3), so ‖e‖ ~ chi(3) and D^δ = chi(3).ppf(1−δ) exactly. Over R = 1000
    # replicates the empirical coverage is Binomial(R, c)/R with c ≥ confidence; tolerance
    # model: coverage ≥ confidence − 3·sqrt(confidence(1−confidence)/R) (≈ 0.028 here).
    n, delta, confidence, reps = 120, 0.1, 0.9, 1000
    truth_q = stats.chi(3).ppf(1 - delta)
    rng = np.random.default_rng(3)
    zeros = np.zeros((n, 3))
    hits = 0
    for _ in range(reps):
        lo, hi = quantile_error_interval(rng.normal(size=(n, 3)), zeros, delta, confidence)
        hits += lo <= truth_q <= hi
    band = 3 * math.sqrt(confidence * (1 - confidence) / reps)
    assert hits / reps >= confidence - band


# --------------------------------------------------------------------------- W2


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 25), m=st.integers(1, 25), seed=st.integers(0, 2**32 - 1))
def test_w2_1d_matches_pot_wasserstein_1d_and_emd2(n, m, seed):
    # Exact identity: quantile formula vs POT's (returns W2², not W2) and vs the LP.
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n), rng.normal(1.0, 2.0, size=m)
    a, b = rng.uniform(0.1, 1.0, n), rng.uniform(0.1, 1.0, m)
    got = w2_squared(x, y, a, b)
    assert got == pytest.approx(
        float(ot.wasserstein_1d(x, y, a / a.sum(), b / b.sum(), p=2)), rel=1e-9, abs=1e-12
    )
    assert got == pytest.approx(_emd2_oracle(x, y, a, b), rel=1e-7, abs=1e-10)
    assert w2(x, y, a, b) == pytest.approx(math.sqrt(got), rel=1e-12)


def test_w2_nd_matches_linear_sum_assignment():
    # Equal sizes and weights: OT is an assignment problem (exact identity).
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(150, 3)), rng.normal(0.5, 1.5, size=(150, 3))
    cost = ot.dist(x, y)
    r, c = optimize.linear_sum_assignment(cost)
    assert w2(x, y) == pytest.approx(math.sqrt(cost[r, c].mean()), rel=1e-10)


def test_w2_nd_weighted_matches_emd2_and_is_symmetric():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(30, 2))
    a, b = rng.uniform(size=40).astype(np.float32), rng.uniform(size=30)  # float32 weights
    got = w2_squared(x, y, a, b)
    assert got == pytest.approx(_emd2_oracle(x, y, a.astype(float), b), rel=1e-9)
    assert w2(y, x, b, a) == pytest.approx(math.sqrt(got), rel=1e-9)
    assert w2(x, x) == 0.0


def test_w2_gaussian_2d_matches_bures():
    # Tolerance model: |W2(p̂_n, q̂_n) − W2(p, q)| ≤ W2(p̂_n, p) + W2(q̂_n, q) = O(sqrt(log n/n))
    # in d = 2. Measured over seeds 0..7 at n = 1000: max deviation 0.047 (0.11 at n = 500).
    # Band 0.12 ≈ 2.5× the measured maximum.
    m1, m2 = np.array([0.0, 0.0]), np.array([1.0, 0.5])
    c1, c2 = np.array([[1.0, 0.3], [0.3, 0.5]]), np.array([[2.0, -0.2], [-0.2, 1.0]])
    bures = float(ot.gaussian.bures_wasserstein_distance(m1, m2, c1, c2))  # 1.2901
    rng = np.random.default_rng(1)
    x, y = rng.multivariate_normal(m1, c1, 1000), rng.multivariate_normal(m2, c2, 1000)
    assert abs(w2(x, y) - bures) <= 0.12


def test_w2_gaussian_1d_large_sample_matches_closed_form():
    # W2(N(0,1), N(1,4)) = sqrt(1 + (2−1)²) = √2. Measured over seeds 0..7 with n = 1e5,
    # m = 8e4: deviations in [0.002, 0.011] (empirical W2 is biased upwards). Band 0.03.
    rng = np.random.default_rng(0)
    assert abs(w2(rng.normal(0, 1, 100_000), rng.normal(1, 2, 80_000)) - math.sqrt(2)) <= 0.03


@pytest.mark.parametrize("noisy", [False, True], ids=["shift", "shift+noise"])
def test_w2_nd_far_shared_point_is_exact_issue_9(noisy):
    # issue 9 §6: 300 points of N(0, I₃), the same shifted (and jittered), each set with one
    # extra shared point at (0, 0, 3e6). The shared point is matched to itself at cost 0 in
    # the optimum (any other match costs ~9e12), so W2² is exactly 300/301 of the value
    # without it. POT's simplex alone returned +0.36% / +0.45% with no warning.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 3))
    y = x + np.array([1.0, 0.5, -0.3])
    if noisy:
        y = y + 0.5 * rng.standard_normal((300, 3))
    far = np.array([[0.0, 0.0, 3e6]])
    cost = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    r, c = optimize.linear_sum_assignment(cost)  # independent oracle on the well-scaled part
    base = cost[r, c].mean()
    got = w2_squared(np.vstack([x, far]), np.vstack([y, far]))
    assert got == pytest.approx(base * 300 / 301, rel=1e-12)


def test_w2_nd_far_shared_point_weighted_unequal_sizes():
    # Weighted, unequal sizes: a shared far point of weight w in both laws is matched to
    # itself, so W2² = (1 − w) · W2²(the rest, renormalised).
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(40, 2)), rng.normal(1.0, 1.0, size=(55, 2))
    a, b = rng.uniform(0.5, 1.0, 40), rng.uniform(0.5, 1.0, 55)
    a, b = a / a.sum(), b / b.sum()
    w = 0.1
    far = np.array([[-4e6, 2e6]])
    got = w2_squared(np.vstack([x, far]), np.vstack([y, far]),
                     np.append((1 - w) * a, w), np.append((1 - w) * b, w))
    assert got == pytest.approx((1 - w) * _emd2_oracle(x, y, a, b), rel=1e-9)


def test_w2_nd_uncertified_solution_is_an_error(monkeypatch):
    # The duality-gap certificate must be able to fail: a solver that returns a feasible but
    # suboptimal plan (the identity coupling of reversed-order points) is rejected.
    rng = np.random.default_rng(8)
    x = rng.normal(size=(20, 2))
    y = x[::-1] + 0.01

    def bad_emd(a, b, M, numItermax, log):
        return np.diag(a), {"u": np.zeros(a.size), "v": np.zeros(b.size), "warning": None}

    monkeypatch.setattr(ot, "emd", bad_emd)
    with pytest.raises(RuntimeError, match="certified"):
        w2_squared(x, y)


def test_w2_memory_limit_points_to_sliced():
    x = np.zeros((50, 2))
    with pytest.raises(ValueError, match=r"^x, y: .*max_pairs=100.*sliced_w2"):
        w2(x, x, max_pairs=100)
    assert w2(x[:, 0], x[:, 0], max_pairs=1) == 0.0  # the 1-D path has no pair limit


def test_w2_iteration_cap_is_an_error():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(60, 2)), rng.normal(size=(70, 2))
    with pytest.raises(RuntimeError, match="num_iter_max"):
        w2(x, y, num_iter_max=5)


def test_sliced_w2_is_a_lower_bound_and_exact_in_1d():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(200, 3)), rng.normal(0.3, 1.3, size=(150, 3))
    for seed in range(3):
        assert sliced_w2(x, y, 50, seed=seed) <= w2(x, y) + 1e-12
    assert sliced_w2(x, y, 50, seed=3) == sliced_w2(x, y, 50, seed=3)  # reproducible
    assert sliced_w2(x[:, 0], y[:, 0], 5) == pytest.approx(w2(x[:, 0], y[:, 0]), rel=1e-10)


def test_sliced_w2_gaussian_shift_closed_form():
    # N(0, I) vs N(Δ, I): SW2² = E_θ⟨θ, Δ⟩² = |Δ|²/d, so SW2 = 1 for Δ = (1, 1, 1).
    # Errors: projection Monte Carlo (200 directions) + sampling (n = 2000); measured over
    # seeds 0..5: max deviation 0.047. Band 0.12.
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2000, 3)), rng.normal(size=(2000, 3)) + 1.0
    assert abs(sliced_w2(x, y, 200, seed=0) - 1.0) <= 0.12


# --------------------------------------------------------------------------- frontier


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_frontier_matches_brute_force_lp(seed):
    # Exact identity: partial OT (un-normalised, mass 1−ε) == the explicit LP over q′ and
    # couplings with the TV constraint; also checks that nothing is divided by 1−ε.
    rng = np.random.default_rng(seed)
    x, y = np.round(rng.normal(size=4), 3), np.round(rng.normal(0.7, 1.0, size=4), 3)
    extra = np.linspace(-3.0, 3.0, 7)
    eps = np.array([0.0, 0.1, 0.25, 0.4, 0.6, 0.9])
    got = closeness_frontier(x, y, eps).w2  # 1-D path
    got_dense = closeness_frontier(np.c_[x, np.zeros(4)], np.c_[y, np.zeros(4)], eps).w2
    oracle = [_frontier_lp_oracle(x, y, e, extra) for e in eps]
    np.testing.assert_allclose(got, oracle, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got_dense, oracle, rtol=1e-6, atol=1e-8)


def test_frontier_unequal_sizes_matches_brute_force_lp():
    rng = np.random.default_rng(8)
    x, y = np.round(rng.normal(size=3), 3), np.round(rng.normal(0.5, 1.0, size=5), 3)
    eps = np.array([0.0, 0.2, 0.5])
    got = closeness_frontier(x, y, eps).w2
    oracle = [_frontier_lp_oracle(x, y, e, np.array([-1.0, 0.0, 1.0])) for e in eps]
    np.testing.assert_allclose(got, oracle, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("d", [1, 2])
def test_frontier_at_zero_is_w2_and_non_increasing(d):
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(120, d)), rng.normal(0.5, 1.0, size=(120, d))
    eps = np.linspace(0.0, 0.95, 12)
    res = closeness_frontier(x, y, eps)
    assert res.w2[0] == pytest.approx(w2(x, y), rel=1e-9)
    assert np.all(np.diff(res.w2) <= 1e-12)
    assert res.w2[-1] < 0.2 * res.w2[0]
    np.testing.assert_array_equal(res.eps, eps)


def test_frontier_1d_path_matches_dense_path():
    # Exact identity between partial_wasserstein_1d (with interpolation between integer
    # masses) and dense partial OT, at ε with (1−ε)n not an integer.
    rng = np.random.default_rng(10)
    x, y = rng.normal(size=60), rng.standard_t(3, size=60)
    eps = np.array([0.0, 0.013, 0.1, 0.337, 0.5, 0.771])
    fast = closeness_frontier(x, y, eps).w2
    dense = closeness_frontier(np.c_[x, np.zeros(60)], np.c_[y, np.zeros(60)], eps).w2
    np.testing.assert_allclose(fast, dense, rtol=1e-7, atol=1e-12)


def test_frontier_null_level():
    rng = np.random.default_rng(11)
    x, y, y2 = rng.normal(1.0, 1.0, (200, 2)), rng.normal(size=(200, 2)), rng.normal(size=(200, 2))
    eps = [0.0, 0.2]
    res = closeness_frontier(x, y, eps, y_null=y2)
    assert res.null_method == "y_null"
    np.testing.assert_allclose(res.null, closeness_frontier(y2, y, eps).w2, rtol=1e-12)
    assert np.all(res.w2 > res.null)  # a unit shift is far above the null level
    split = closeness_frontier(x, y, eps)
    assert split.null_method == "split_y"
    np.testing.assert_allclose(split.null, closeness_frontier(y[:100], y[100:], eps).w2)
    assert closeness_frontier(x, y, 0.1).w2.shape == (1,)  # scalar ε


# --------------------------------------------------------------------------- TV bound


def test_tv_bound_ks_matches_scipy_on_every_direction():
    # Exact identity: per-direction statistic == scipy.stats.kstest against the same CDF.
    rng = np.random.default_rng(12)
    target = _ShiftedStdNormal([0.0, 0.0, 0.0])
    x = rng.normal(size=(300, 3))
    res = tv_halfspace_lower_bound(x, target, n_directions=8, seed=1)
    assert res.directions.shape == (11, 3)  # 3 axes + 8 random
    np.testing.assert_allclose(np.linalg.norm(res.directions, axis=1), 1.0, rtol=1e-12)
    for v, s in zip(res.directions, res.statistics, strict=True):
        assert s == pytest.approx(stats.kstest(x @ v, stats.norm.cdf).statistic, abs=1e-12)
    assert res.statistic == res.statistics.max()


def test_tv_bound_null_and_shift_detection_duck_typed():
    # Null: x from the target, so with probability ≥ 1 − α the statistic is ≤ the DKW margin
    # and the certified lower bound is 0. Shift by a = 1 along e1: TV = 2Φ(a/2) − 1 = 0.383,
    # attained by the half-space on e1; |statistic − TV| ≤ DKW margin w.p. ≥ 1 − α.
    rng = np.random.default_rng(13)
    n, a = 4000, 1.0
    target = _ShiftedStdNormal([0.0, 0.0])
    null = tv_halfspace_lower_bound(rng.normal(size=(n, 2)), target, 32, seed=0)
    assert null.statistic <= null.margin and null.lower_bound == 0.0
    tv = 2 * stats.norm.cdf(a / 2) - 1
    x = rng.normal(size=(n, 2)) + [a, 0.0]
    res = tv_halfspace_lower_bound(x, target, 32, seed=0)
    assert abs(res.statistic - tv) <= res.margin
    assert 0.0 < res.lower_bound <= tv
    assert abs(res.direction[0]) > 0.95


@needs_mixture
def test_tv_bound_with_gaussian_mixture():
    # Same acceptance bands as above, on a two-component mixture in d = 3 (the target law is
    # only available through .project(v).cdf, exactly).
    mix = GaussianMixture([0.3, 0.7], [[0.0, 0.0, 0.0], [2.0, -1.0, 0.5]], [0.5, 1.0])
    n = 3000
    x = mix.sample(n, seed=14)
    null = tv_halfspace_lower_bound(x, mix, 32, seed=0)
    assert null.statistic <= null.margin and null.lower_bound == 0.0
    for v, s in zip(null.directions, null.statistics, strict=True):
        ks = stats.kstest(x @ v, lambda z, v=v: mix.project(v).cdf(z)).statistic
        assert s == pytest.approx(ks, abs=1e-12)
    shifted = x + np.array([0.0, 0.0, 1.0])  # TV of the shifted mixture vs itself > 0
    res = tv_halfspace_lower_bound(shifted, mix, 32, seed=0)
    assert res.lower_bound > 0.2


# --------------------------------------------------------------------------- bad input

_X = np.zeros((5, 2))


@pytest.mark.parametrize("delta", [0.0, 1.0, -0.1, 1.5, float("nan")])
@pytest.mark.parametrize("fn", [quantile_error, quantile_error_interval])
def test_bad_delta(fn, delta):
    with pytest.raises(ValueError, match=r"^delta: must be in \(0, 1\)"):
        fn(_X, _X, delta)


@pytest.mark.parametrize("confidence", [0.0, 1.0, 2.0])
def test_bad_confidence(confidence):
    with pytest.raises(ValueError, match="^confidence"):
        quantile_error_interval(_X, _X, 0.1, confidence)


@pytest.mark.parametrize("fn", [quantile_error, quantile_error_interval, l2_error])
def test_score_error_shape_mismatch_and_nan(fn):
    args = (0.1,) if fn is not l2_error else ()
    with pytest.raises(ValueError, match="^estimate, truth: shapes differ"):
        fn(_X, np.zeros((5, 3)), *args)
    with pytest.raises(ValueError, match="^estimate, truth: shapes differ"):
        fn(_X, np.zeros((4, 2)), *args)
    bad = _X.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="^estimate: contains NaN"):
        fn(bad, _X, *args)
    with pytest.raises(ValueError, match="^truth: contains NaN"):
        fn(_X, bad, *args)
    with pytest.raises(ValueError, match="^estimate: must have shape"):
        fn(np.zeros((2, 2, 2)), _X, *args)
    with pytest.raises(ValueError, match="^estimate: must be non-empty"):
        fn(np.zeros((0, 2)), np.zeros((0, 2)), *args)
    with pytest.raises(TypeError, match="^estimate"):
        fn(np.array([["a", "b"]]), _X, *args)


@pytest.mark.parametrize("fn", [w2, w2_squared, sliced_w2])
def test_distance_bad_input(fn):
    bad = _X.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="^y: contains NaN or inf"):
        fn(_X, bad)
    with pytest.raises(ValueError, match="^x, y: dimensions differ"):
        fn(_X, np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"^x_weights: must have shape \(5,\)"):
        fn(_X, _X, x_weights=np.ones(4))
    with pytest.raises(ValueError, match="^y_weights: must be non-negative"):
        fn(_X, _X, y_weights=-np.ones(5))
    with pytest.raises(ValueError, match="^y_weights: must have a positive sum"):
        fn(_X, _X, y_weights=np.zeros(5))
    with pytest.raises(ValueError, match="^x_weights: contains NaN"):
        fn(_X, _X, x_weights=np.array([1, 1, np.nan, 1, 1]))


def test_sliced_bad_projection_arguments():
    with pytest.raises(ValueError, match="^n_projections"):
        sliced_w2(_X, _X, 0)
    with pytest.raises(TypeError, match="^seed"):
        sliced_w2(_X, _X, 10, seed=-1)


@pytest.mark.parametrize("eps", [-0.1, 1.0, 1.5, float("nan"), [0.0, 1.0], []])
def test_frontier_bad_eps(eps):
    with pytest.raises(ValueError, match="^eps: "):
        closeness_frontier(_X, _X, eps)


def test_frontier_bad_samples():
    with pytest.raises(ValueError, match="^x, y: dimensions differ"):
        closeness_frontier(_X, np.zeros((5, 3)), 0.1)
    with pytest.raises(ValueError, match="^y_null, y: dimensions differ"):
        closeness_frontier(_X, _X, 0.1, y_null=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="^x: contains NaN"):
        closeness_frontier(np.full((5, 2), np.nan), _X, 0.1)
    with pytest.raises(ValueError, match="^x, y: exact partial OT"):
        closeness_frontier(_X, _X, 0.1, max_pairs=10)


def test_tv_bound_bad_input():
    target = _ShiftedStdNormal([0.0, 0.0])
    with pytest.raises(ValueError, match="^x, mixture: dimensions differ"):
        tv_halfspace_lower_bound(np.zeros((5, 3)), target)
    with pytest.raises(TypeError, match="^mixture"):
        tv_halfspace_lower_bound(_X, object())
    with pytest.raises(ValueError, match="^x: contains NaN"):
        tv_halfspace_lower_bound(np.full((5, 2), np.nan), target)
    with pytest.raises(ValueError, match="^n_directions"):
        tv_halfspace_lower_bound(_X, target, 0)
    with pytest.raises(ValueError, match="^alpha"):
        tv_halfspace_lower_bound(_X, target, alpha=1.0)
