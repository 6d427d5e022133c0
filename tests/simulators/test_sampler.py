"""The sampler on the NumPy and Numba CPU backends (CUDA: test_sampler_cuda.py).

Oracles: the Gaussian target's linear recursion (closed-form output moments), the exact marginal
q_{t_stop} of a mixture (KS against its exact CDF), and the NumPy reference for the compiled
backend. Exact identities use tight tolerances; statistical ones state their band.
"""

import tracemalloc

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from scipy import stats

from diffbounds.simulators import GaussianMixture, sample, schedule, strategies
from diffbounds.simulators.oracles import gaussian_chain_moments
from diffbounds.simulators.scores import mixture_program
from tests.simulators._cuda_cases import mixture
from tests.simulators._integrator import exponential_integrator

BACKENDS = ["numpy", "cpu"]


def _mixture(cov_type, d=3, K=3, seed=0):
    return mixture(cov_type, d=d, K=K, seed=seed, random_weights=True)


# ------------------------------------------------------------------ kernel score = mixture score
@pytest.mark.parametrize("cov_type", ["isotropic", "diagonal", "full"])
def test_kernel_score_family_equals_mixture_score(cov_type):
    from diffbounds.simulators.kernels._math import NW
    from diffbounds.simulators.kernels.numpy_backend import math_for

    mix = _mixture(cov_type, d=4, K=5)
    times = np.array([2.0, 0.7, 0.05, 1e-3])
    family, P = mixture_program(mix, times, "float64")
    x = np.random.default_rng(1).normal(scale=3, size=(64, 4))
    for k, t in enumerate(times[:-1]):
        out = np.empty((4, 64))
        math_for("float64").families[family](np.ascontiguousarray(x.T), out, np.empty_like(out),
                                             np.empty((NW, 64)), P, k, 64)
        np.testing.assert_allclose(out.T, mix.at(t).score(x), rtol=1e-11, atol=1e-11)


def test_kernel_score_far_from_all_components_is_finite():
    # Paper's Figure 1 mixture: responsibilities underflow unless done in the log domain.
    from diffbounds.simulators.kernels._math import NW
    from diffbounds.simulators.kernels.numpy_backend import math_for

    mix = GaussianMixture([0.999, 0.001], [[0.0], [10000.0]], [1.0, 1.0])
    family, P = mixture_program(mix, np.array([1e-9, 0.0]), "float64")
    x = np.linspace(-20000, 20000, 401)[None, :]
    out = np.empty_like(x)
    math_for("float64").families[family](x, out, np.empty_like(x), np.empty((NW, x.shape[1])),
                                         P, 0, x.shape[1])
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out[0], mix.at(1e-9).score(x[0][:, None])[:, 0], rtol=1e-9,
                               atol=1e-9)


# ------------------------------------------------------------------ Gaussian oracle
def test_integrator_oracle_matches_quadrature():
    # the tests' own coefficients (closed forms at 40 digits) against mpmath quadrature of the
    # defining integrals b = 2∫_0^h e^{h−r} dr, c² = 2∫_0^h e^{2(h−r)} dr
    import mpmath

    times = np.array([3.0, 1.0, 0.1, 0.1 - 1e-7])
    got = exponential_integrator(times)
    for (a, b, c), h in zip(got, -np.diff(times), strict=True):
        with mpmath.workdps(40):
            hq = mpmath.mpf(float(h))
            bq = 2 * mpmath.quad(lambda r, hq=hq: mpmath.exp(hq - r), [0, hq])
            cq = mpmath.sqrt(2 * mpmath.quad(lambda r, hq=hq: mpmath.exp(2 * (hq - r)),
                                              [0, hq]))
            assert abs(a - float(mpmath.exp(hq))) <= 1e-15 * a
            assert abs(b - float(bq)) <= 1e-15 * b and abs(c - float(cq)) <= 1e-15 * c


def test_sampler_and_oracle_coefficients_match_the_sde():
    from diffbounds.simulators import integrator_coefficients
    from diffbounds.simulators.oracles import _exact_step_coefficients

    times = np.concatenate([schedule.exponential(8.0, 1e-3, 200), [1e-3 - 1e-9]])
    exact = exponential_integrator(times)
    # float64 rounding of exp/expm1/sqrt: a few ulps
    np.testing.assert_allclose(integrator_coefficients(times), exact, rtol=1e-15, atol=0)
    np.testing.assert_allclose(_exact_step_coefficients(times), exact, rtol=1e-15, atol=0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["uniform", "exponential"])
def test_gaussian_target_matches_linear_recursion(backend, kind):
    mu = np.array([1.0, -0.5])
    cov = np.array([[1.2, 0.5], [0.5, 0.8]])
    times = getattr(schedule, kind)(3.0, 0.05, 25)
    n = 20000
    x = sample(GaussianMixture([1.0], mu[None], cov[None]), n, times, seed=11, backend=backend)
    m, C = gaussian_chain_moments(mu, cov, times)
    # Band: 5 standard errors for every mean and covariance entry (Gaussian output).
    np.testing.assert_array_less(np.abs(x.mean(0) - m), 5 * np.sqrt(np.diag(C) / n))
    se = np.sqrt((np.outer(np.diag(C), np.diag(C)) + C**2) / n)
    np.testing.assert_array_less(np.abs(np.cov(x.T) - C), 5 * se)


def test_gaussian_recursion_is_exact_for_the_chain_mean_without_noise_effects():
    # With x_init = a point mass the chain's mean is the recursion's mean exactly in expectation;
    # averaging the *noise* out is exact only in the limit, so compare the deterministic part:
    # run two chains with the same seed from x0 and x0 + e; their difference is deterministic
    # and equals the product of the recursion matrices applied to e.
    mu, cov = np.zeros(2), np.array([[1.0, 0.3], [0.3, 0.5]])
    times = schedule.exponential(2.0, 0.1, 10)
    g = GaussianMixture([1.0], mu[None], cov[None])
    x0 = np.zeros((1, 2))
    e = np.array([[1e-3, -2e-3]])
    a = sample(g, 1, times, seed=3, x_init=x0, backend="numpy")
    b = sample(g, 1, times, seed=3, x_init=x0 + e, backend="numpy")
    m0, _ = gaussian_chain_moments(mu, cov, times, init_mean=x0[0])
    m1, _ = gaussian_chain_moments(mu, cov, times, init_mean=(x0 + e)[0])
    np.testing.assert_allclose((b - a)[0], m1 - m0, rtol=1e-9, atol=1e-15)


# ------------------------------------------------------------------ statistical integration
def test_mixture_output_matches_q_tstop():
    """Exact score, fine schedule, 2-D 3-component mixture: output ~ q_{t_stop}.

    Bands (fixed seed): per-coordinate KS p-value > 1e-3 against the exact projected CDF; mean
    within 5 standard errors; covariance entries within 5 standard errors (4th moments from a
    large exact sample of q_{t_stop}).
    """
    mix = GaussianMixture([0.5, 0.3, 0.2], [[-2.0, 0.0], [2.0, 1.0], [0.0, -3.0]],
                          [np.eye(2) * 0.5, [[1.0, 0.5], [0.5, 1.0]], np.diag([0.3, 1.5])])
    t_stop = 0.01
    times = schedule.exponential(6.0, t_stop, 400)
    n = 30000
    x = sample(mix, n, times, seed=2)
    q = mix.at(t_stop)
    for j in range(2):
        e = np.eye(2)[j]
        assert stats.kstest(x[:, j], q.project(e).cdf).pvalue > 1e-3
    ref = q.sample(400000, seed=9)
    se_mean = ref.std(0) / np.sqrt(n)
    np.testing.assert_array_less(np.abs(x.mean(0) - ref.mean(0)), 5 * se_mean)
    c = ref - ref.mean(0)
    var_cov = np.einsum("ni,nj,ni,nj->ij", c, c, c, c) / len(c) - np.cov(ref.T) ** 2
    np.testing.assert_array_less(np.abs(np.cov(x.T) - np.cov(ref.T)), 5 * np.sqrt(var_cov / n))


# ------------------------------------------------------------------ backends agree
@pytest.mark.parametrize("cov_type", ["isotropic", "diagonal", "full"])
def test_numpy_and_cpu_agree(cov_type):
    mix = _mixture(cov_type)
    times = schedule.exponential(4.0, 1e-3, 30)
    a = sample(mix, 200, times, seed=5, backend="numpy")
    b = sample(mix, 200, times, seed=5, backend="cpu")
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


@pytest.mark.parametrize("backend", BACKENDS)
def test_float32_agrees_with_float64(backend):
    mix = _mixture("full")
    times = schedule.exponential(4.0, 1e-2, 30)
    a = sample(mix, 200, times, seed=5, backend=backend, dtype="float64")
    b = sample(mix, 200, times, seed=5, backend=backend, dtype="float32")
    assert b.dtype == np.float32
    # float32 round-off (~6e-8) amplified by at most ~30 contracting steps: 1e-4 of the scale.
    assert np.max(np.abs(a - b)) < 1e-4 * np.max(np.abs(a))


def test_independent_of_batch_size_and_thread_count():
    mix = _mixture("diagonal")
    times = schedule.uniform(3.0, 1e-2, 15)
    full = sample(mix, 120, times, seed=8)
    np.testing.assert_array_equal(sample(mix, 37, times, seed=8), full[:37])
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = sample(mix, 120, times, seed=8)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, full)
    assert not np.array_equal(sample(mix, 120, times, seed=9), full)


def test_generic_callable_path_matches_kernel_path():
    mix = _mixture("isotropic")
    times = schedule.exponential(3.0, 1e-2, 20)
    kernel = sample(mix, 100, times, seed=1, backend="cpu")
    for backend in BACKENDS:
        generic = sample(lambda x, t: mix.at(t).score(x), 100, times, seed=1, backend=backend,
                         dim=3)
        # Same chain; the score is evaluated by different arithmetic (~1e-15 per step).
        np.testing.assert_allclose(generic, kernel, rtol=0, atol=1e-9)


def test_callback_and_progress():
    mix = _mixture("isotropic")
    times = schedule.uniform(2.0, 0.1, 6)
    seen = []
    out = sample(mix, 10, times, seed=0, callback=lambda k, t, x: seen.append((k, t, x.copy())),
                 progress=True)
    assert [k for k, _, _ in seen] == list(range(6))
    np.testing.assert_allclose([t for _, t, _ in seen], times[1:])
    np.testing.assert_array_equal(seen[-1][2], out)
    np.testing.assert_array_equal(out, sample(mix, 10, times, seed=0))


def test_x_init_and_memory_is_O_n_d():
    mix = _mixture("isotropic", d=2)
    times = schedule.uniform(2.0, 0.01, 2000)
    n = 2000
    tracemalloc.start()
    sample(mix, n, times, seed=0, backend="numpy")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # A (steps x n x d) noise array would be 64 MB; the sampler must stay within O(n d) (+ the
    # O(steps K d) parameters): allow 60 arrays of n x d doubles.
    assert peak < 60 * n * 2 * 8 + 2000 * 3 * 8 * 8
    start = np.full((4, 2), 0.5)
    a = sample(mix, 4, times[:3], seed=1, x_init=start)
    assert a.shape == (4, 2)


@settings(max_examples=10)
@given(mix=strategies.mixtures(max_dim=3, max_components=3), seed=strategies.seeds())
def test_property_cpu_equals_numpy_on_random_mixtures(mix, seed):
    times = schedule.exponential(3.0, 1e-2, 8)
    a = sample(mix, 16, times, seed=seed, backend="numpy")
    b = sample(mix, 16, times, seed=seed, backend="cpu")
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(n=0), ValueError, "n"),
    (dict(n=2.5), TypeError, "n"),
    (dict(times=[0.1, 0.5]), ValueError, "times"),
    (dict(times=[1.0]), ValueError, "times"),
    (dict(times=[1.0, np.nan]), ValueError, "times"),
    (dict(backend="tpu"), ValueError, "backend"),
    (dict(dtype="float16"), ValueError, "dtype"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(x_init=np.zeros((3, 3))), ValueError, "x_init"),
    (dict(callback=3), TypeError, "callback"),
])
def test_bad_input(kwargs, exc, name):
    args = dict(score=_mixture("isotropic"), n=4, times=[1.0, 0.5, 0.1])
    args.update(kwargs)
    with pytest.raises(exc, match=f"^{name}"):
        sample(**args)


def test_bad_score_arguments():
    with pytest.raises(TypeError, match="^score"):
        sample("not a score", 4, [1.0, 0.1])
    with pytest.raises(ValueError, match="^dim"):
        sample(lambda x, t: -x, 4, [1.0, 0.1])
    with pytest.raises(ValueError, match="^score"):
        sample(lambda x, t: np.full_like(x, np.nan), 4, [1.0, 0.1], dim=2)


def test_cuda_backend_without_gpu_raises_clearly():
    from numba import cuda

    if cuda.is_available():
        pytest.skip("a CUDA device (or the simulator) is available here")
    with pytest.raises(RuntimeError, match="CUDA"):
        sample(_mixture("isotropic"), 4, [1.0, 0.1], backend="cuda")


def test_rng_invariance_under_generic_dim_argument():
    # A fixed (seed, particle, step) gives the same noise whatever the score: compare two
    # zero-score chains of different n.
    zero = lambda x, t: np.zeros_like(x)  # noqa: E731
    a = sample(zero, 5, [1.0, 0.5], seed=3, dim=2)
    b = sample(zero, 9, [1.0, 0.5], seed=3, dim=2)
    np.testing.assert_array_equal(a, b[:5])


@pytest.mark.parametrize("n_steps", [1, 3])
def test_single_step_formula(n_steps):
    # One step from x_init with a zero score: x' = e^h x + sqrt(e^{2h} - 1) xi, xi = rng.normals.
    from diffbounds.simulators import rng

    times = np.linspace(1.0, 0.5, n_steps + 1)
    x0 = np.ones((3, 2))
    out = sample(lambda x, t: np.zeros_like(x), 3, times[:2], seed=4, x_init=x0)
    h = times[0] - times[1]
    expected = np.exp(h) * x0 + np.sqrt(np.expm1(2 * h)) * rng.normals(4, 3, 0, 2)
    np.testing.assert_allclose(out, expected, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("d", [1, 5])
def test_odd_and_one_dimensional(d):
    mix = _mixture("diagonal", d=d, K=2)
    times = schedule.exponential(2.0, 0.05, 10)
    np.testing.assert_allclose(sample(mix, 20, times, backend="numpy"),
                               sample(mix, 20, times, backend="cpu"), atol=1e-10, rtol=0)


def test_dimension_1000_isotropic_runs():
    d = 1000
    mix = GaussianMixture([0.5, 0.5], np.stack([np.zeros(d), np.ones(d)]), [1.0, 0.5])
    x = sample(mix, 8, schedule.exponential(2.0, 0.05, 5))
    assert x.shape == (8, d) and np.all(np.isfinite(x))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_weight_1e12_component(dtype):
    mix = GaussianMixture([1 - 1e-12, 1e-12], [[0.0, 0.0], [50.0, 50.0]], [1.0, 1.0])
    x = sample(mix, 50, schedule.exponential(3.0, 0.01, 20), dtype=dtype)
    assert np.all(np.isfinite(x)) and np.abs(x).max() < 10

