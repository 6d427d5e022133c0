"""The sampler interface (simulators.samplers) and ``sample(..., sampler=...)``.

Oracles:
- Bit-for-bit identity: the generic path's exponential integrator against ``sample``'s own
  NumPy-backend path with the same callable score (same arithmetic in the same order, float64).
- Gaussian target N(μ, v): every built-in's step on the exact score ŝ(x, t) = −(x − μ_t)/v_t is
  affine, x′ = A x + B + c ξ, so the chain's mean and variance follow a linear recursion. The
  coefficients A, B, c are derived by hand below from each update formula (not from the module).
  Monte Carlo check: the sample mean and variance of n = 40 000 particles against the recursion,
  within 5 standard errors (SE of the mean √(v/n); of the variance v √(2/(n−1))).
- Batch-size independence: the first particles of a larger batch equal a smaller batch exactly.
"""

import math
import time

import numpy as np
import pytest

from diffbounds.simulators import GaussianMixture, sample, schedule
from diffbounds.simulators import samplers as S
from tests.simulators._sampler_oracle import MU0, V0, affine, gauss_score, gaussian_recursion

GAUSS = GaussianMixture([1.0], [MU0], [V0])
TIMES = schedule.exponential(4.0, 0.05, 12)


def test_builtin_names():
    assert set(S.BUILTINS) == {"exponential_integrator", "euler_maruyama", "pf_euler",
                               "pf_heun", "ddim", "ancestral"}


@pytest.mark.parametrize("dtype", ["float64"])
def test_exponential_integrator_generic_path_is_bit_for_bit(dtype):
    mix = GaussianMixture([0.3, 0.7], [-2.0, 1.5], [0.05, 0.3])

    def score(x, t):
        return mix.at(t).score(x)

    ref = sample(score, 500, TIMES, seed=11, backend="numpy", dim=1, dtype=dtype)
    gen = S.run(S.ExponentialIntegrator(), score, 500, 1, TIMES, seed=11, dtype=dtype)
    assert np.array_equal(ref, gen)
    # an instance passed to sample takes today's path (same output again)
    again = sample(score, 500, TIMES, seed=11, backend="numpy", dim=1,
                   sampler=S.ExponentialIntegrator())
    assert np.array_equal(ref, again)


def test_default_sampler_path_unchanged_for_kernel_scores():
    mix = GaussianMixture([0.5, 0.5], [-1.0, 1.0], [0.1, 0.1])
    a = sample(mix, 300, TIMES, seed=3, backend="numpy")
    b = sample(mix, 300, TIMES, seed=3, backend="numpy", sampler="exponential_integrator")
    assert np.array_equal(a, b)
    # the generic path evaluates the mixture score in NumPy (mixture.at(t).score), the kernel
    # path in the shared step math: equal to rounding (~1e-15 relative per step, 12 steps)
    c = S.run("exponential_integrator", lambda x, t: mix.at(t).score(x), 300, 1, TIMES, seed=3)
    np.testing.assert_allclose(c, a, rtol=0, atol=1e-11)


@pytest.mark.parametrize("name", sorted(S.BUILTINS))
def test_gaussian_moments_monte_carlo(name):
    n = 40_000
    x = sample(GAUSS, n, TIMES, seed=5, sampler=name)
    m, v = gaussian_recursion(name, TIMES)
    assert x.shape == (n, 1) and x.dtype == np.float64
    assert abs(x.mean() - m) < 5 * math.sqrt(v / n)
    assert abs(x.var(ddof=1) - v) < 5 * v * math.sqrt(2.0 / (n - 1))


@pytest.mark.parametrize("name", sorted(S.BUILTINS))
def test_step_is_mean_map_plus_noise(name):
    """Each built-in's step equals m_k(x) + c_k ξ with the hand-derived affine m_k, c_k."""
    smp = S.BUILTINS[name]()
    x = np.linspace(-3, 3, 7)[:, None]
    xi = np.linspace(-1, 1, 7)[:, None]
    for k in (0, 5, len(TIMES) - 2):
        A, B, c = affine(name, float(TIMES[k]), float(TIMES[k + 1]))
        got = smp.step(x, gauss_score, TIMES, k, lambda r: xi)
        np.testing.assert_allclose(got, A * x + B + c * xi, rtol=1e-13, atol=1e-13)
        assert smp.noise_scales(TIMES)[k] == pytest.approx(c, rel=1e-13, abs=0)
        assert smp.deterministic == (c == 0.0)


def test_batch_size_independence_and_float32():
    mix = GaussianMixture([0.5, 0.5], [-1.0, 1.0], [0.1, 0.1])
    a = sample(mix, 50, TIMES, seed=9, sampler="ancestral")
    b = sample(mix, 120, TIMES, seed=9, sampler="ancestral")
    assert np.array_equal(a, b[:50])
    f = sample(mix, 50, TIMES, seed=9, sampler="ancestral", dtype="float32")
    assert f.dtype == np.float32
    np.testing.assert_allclose(f, a, atol=1e-4)


def test_user_callable_sampler_and_extra_draws():
    seen = []

    def my_step(x, score, t, t_next, noise):
        seen.append((t, t_next))
        h = t - t_next
        z0, z1 = noise(0), noise(1)
        assert not np.array_equal(z0, z1)
        return x + h * (x + 2 * score(x, t)) + math.sqrt(h) * (z0 + z1)  # √h·(ξ0+ξ1) ~ √(2h) ξ

    x = sample(GAUSS, 20_000, TIMES, seed=2, sampler=my_step)
    assert len(seen) == len(TIMES) - 1 and seen[0] == (TIMES[0], TIMES[1])
    m, v = gaussian_recursion("euler_maruyama", TIMES)
    n = x.shape[0]
    assert abs(x.mean() - m) < 5 * math.sqrt(v / n)
    assert abs(x.var(ddof=1) - v) < 5 * v * math.sqrt(2.0 / (n - 1))
    # draw 0 is the default path's step noise: a callable EI equals the built-in
    def ei(x, score, t, t_next, noise):
        h = t - t_next
        return (math.exp(h) * x + 2 * math.expm1(h) * score(x, t)
                + math.sqrt(math.expm1(2 * h)) * noise(0))
    y = sample(GAUSS, 100, TIMES, seed=2, sampler=ei)
    z = sample(GAUSS, 100, TIMES, seed=2, sampler="exponential_integrator", backend="numpy")
    np.testing.assert_allclose(y, z, atol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="sampler: unknown built-in"):
        sample(GAUSS, 10, TIMES, sampler="rk4")
    with pytest.raises(TypeError, match="sampler"):
        sample(GAUSS, 10, TIMES, sampler=3)
    with pytest.raises(ValueError, match="sampler: step 0 returned shape"):
        sample(GAUSS, 10, TIMES, sampler=lambda x, s, t, tn, z: x[:5])
    with pytest.raises(ValueError, match="score: returned non-finite"):
        sample(lambda x, t: x * np.nan, 10, TIMES, sampler="ddim", dim=1)


def test_generic_path_cost(capsys):
    """Measures the generic path's cost per particle-step (reported, loosely bounded)."""
    mix = GaussianMixture([0.3, 0.7], [-2.0, 1.5], [0.05, 0.3])
    n, times = 100_000, schedule.exponential(4.0, 0.05, 10)
    def score(x, t):
        return mix.at(t).score(x)

    # the built-ins run compiled with a mixture score: time the generic path itself
    S.run("euler_maruyama", score, 1000, 1, times)  # warm caches
    t0 = time.perf_counter()
    S.run("euler_maruyama", score, n, 1, times)
    per = (time.perf_counter() - t0) / (n * (len(times) - 1))
    with capsys.disabled():
        print(f"\n[generic path] euler_maruyama, 2-component 1-D mixture: "
              f"{per * 1e9:.0f} ns per particle-step")
    assert per < 2e-5  # shared 2-core machine; the measured value is printed


def test_badly_written_sampler_subclasses_are_refused_clearly():
    class NoScales(S.Sampler):
        def mean_map(self, x, score, times, k):
            return x

    class Short(NoScales):
        def noise_scales(self, times):
            return np.ones(len(times) - 2)

    class Negative(NoScales):
        def noise_scales(self, times):
            return -np.ones(len(times) - 1)

    class Flat(S.Sampler):
        def mean_map(self, x, score, times, k):
            return x[:, 0]

        def noise_scales(self, times):
            return np.ones(len(times) - 1)

    with pytest.raises(TypeError, match="sampler: NoScales must implement"):
        sample(GAUSS, 4, TIMES, sampler=NoScales())
    for bad in (Short(), Negative()):
        with pytest.raises(ValueError, match="noise_scales must return 12 finite values >= 0"):
            sample(GAUSS, 4, TIMES, sampler=bad)
    with pytest.raises(ValueError, match=r"mean_map returned shape \(4,\)"):
        sample(GAUSS, 4, TIMES, sampler=Flat())


@pytest.mark.parametrize("seed", [2**63, 2**64 - 1])
def test_seeds_above_int64_on_the_cpu_backend(seed):
    a = sample(GAUSS, 5, TIMES, seed=seed, backend="cpu")
    b = sample(GAUSS, 5, TIMES, seed=seed, backend="numpy")
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-10 * max(1.0, np.abs(b).max()))
    f = sample(lambda x, t: -x, 5, TIMES, seed=seed, backend="cpu", dim=1)
    assert np.all(np.isfinite(f))


def test_dim_must_match_the_score_models_dimension():
    with pytest.raises(ValueError, match="dim: 3 does not match"):
        sample(GAUSS, 4, TIMES, dim=3)
