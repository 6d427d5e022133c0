"""Counter-based RNG: purity, statistics, and independence of the counters."""

import numpy as np
import pytest
from scipy import stats

from diffbounds.simulators import rng


def test_normals_block_matches_pointwise_function():
    block = rng.normals(7, 5, 3, 4)
    p, j = np.meshgrid(np.arange(5), np.arange(4), indexing="ij")
    np.testing.assert_array_equal(block, rng.standard_normal(7, p, 3, j))


def test_particle_offset_is_a_slice_of_the_same_stream():
    full = rng.normals(1, 10, 2, 3)
    np.testing.assert_array_equal(rng.normals(1, 4, 2, 3, particle_offset=6), full[6:])


def test_pure_function_of_counters():
    a = rng.standard_normal(3, [0, 1, 2], 9, 5)
    b = rng.standard_normal(3, [2, 1, 0], 9, 5)[::-1]
    np.testing.assert_array_equal(a, b)
    assert len({rng.standard_normal(s, 0, 0, 0).item() for s in range(50)}) == 50


def test_ks_against_standard_normal():
    # 400000 draws; under H0 the p-value is uniform, so p >= 1e-3 fails with probability 1e-3.
    z = rng.normals(0, 50000, 11, 8).ravel()
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(z.mean()) < 5 / np.sqrt(z.size)
    assert abs(z.std() - 1) < 5 * np.sqrt(0.5 / z.size)


@pytest.mark.parametrize("axis_name", ["particle", "step", "coord", "seed"])
def test_neighbouring_counters_uncorrelated(axis_name):
    n = 100000
    idx = np.arange(n, dtype=np.uint64)
    args = dict(seed=1, particle=5, step=5, coord=2)
    args[axis_name] = idx
    z = rng.standard_normal(**args)
    r = np.corrcoef(z[:-1], z[1:])[0, 1]
    # The lag-1 correlation of independent normals has sd 1/sqrt(n): band of 5 sd.
    assert abs(r) < 5 / np.sqrt(n)
    assert stats.kstest(z, "norm").pvalue > 1e-3


def test_normal_is_inverse_cdf_of_the_uniform():
    # Oracle: scipy's ndtri (cephes) applied to the same uniforms; AS241 is accurate to ~1e-16.
    from scipy.special import ndtri

    from diffbounds.simulators.kernels.numpy_backend import math_for

    ns = math_for("float64")
    with np.errstate(over="ignore"):
        key = ns.step_key(ns.particle_key(ns.seed_key(np.array([5], np.uint64)),
                                          np.arange(200000, dtype=np.uint64)), np.uint64(1))
        u = ns.uniform(key, np.uint64(3))
        z = ns.normal(key, np.uint64(3))
    assert 0 < u.min() and u.max() < 1
    np.testing.assert_allclose(z, ndtri(u), rtol=1e-14, atol=1e-15)
    # All three AS241 branches are exercised by explicit uniforms, tails included.
    p = np.array([1e-300, 1e-20, 1e-12, 1e-5, 0.01, 0.07, 0.075, 0.3, 0.5, 0.925, 0.99,
                  1 - 1e-12])
    q = p - 0.5
    with np.errstate(divide="ignore"):
        got = np.where(np.abs(q) <= 0.425, ns._central(q), ns._tail(p, q))
    np.testing.assert_allclose(got, ndtri(p), rtol=1e-13)


def test_float32_agrees_with_float64():
    a = rng.normals(4, 2000, 1, 6, dtype="float64")
    b = rng.normals(4, 2000, 1, 6, dtype="float32")
    assert b.dtype == np.float32
    # Tolerance model: float32 keeps the top 23 of the 52 uniform bits, so the uniforms differ by
    # at most 2^-24 and the normals by 2^-24 / phi(z) (the derivative of the inverse CDF), plus
    # float32 round-off of the rational approximation (~1e-6 relative).
    bound = 2.0**-24 / stats.norm.pdf(a) * 1.01 + 2e-6 * (1 + np.abs(a))
    assert np.all(np.abs(a - b) <= bound)


@pytest.mark.parametrize("kwargs, name", [
    (dict(seed=-1, n=2, step=0, dim=2), "seed"),
    (dict(seed=0, n=0, step=0, dim=2), "n"),
    (dict(seed=0, n=2, step=0, dim=0), "dim"),
    (dict(seed=0, n=2, step=-3, dim=2), "step"),
])
def test_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=f"^{name}"):
        rng.normals(**kwargs)


def test_bad_types():
    with pytest.raises(TypeError, match="^seed"):
        rng.normals(1.5, 2, 0, 2)
    with pytest.raises(TypeError, match="^coord"):
        rng.standard_normal(0, 0, 0, 0.5)
    with pytest.raises(ValueError, match="^dtype"):
        rng.normals(0, 2, 0, 2, dtype="float16")
