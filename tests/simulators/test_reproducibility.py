"""Issue 13 §3: the reproducibility promise exactly as the README states it.

1. Within one backend and dtype, results are bitwise identical across thread counts and batch
   sizes (counter-based normals: particle i's path depends only on (seed, i)), for every score
   model.
2. Across backends (NumPy reference vs Numba CPU), results agree within a documented tolerance:
   float64: |a − b| ≤ 1e-10 · max(1, max|a|) (design.md); float32: every particle within
   1e-3 · max(1, max|a|). Derivation of the float32 band: each step applies ~10 float32
   operations of relative error ≤ 6e-8 whose results NumPy and the fused CPU code round
   differently; the exponential integrator contracts between steps but the score errors of
   size bad_magnitude/σ_t ≤ 5/0.1 = 50 amplify a perturbation by at most ~1 + 2·h·50 ≈ 2 per
   step near t_stop, so after 30 steps the difference is ≲ 30 · 10 · 6e-8 · 2^3 ≈ 1.5e-4 of
   the scale; 1e-3 leaves a factor 6. A score model that changed discontinuously with float
   rounding (a key or threshold flipping) moves a particle by O(1) and fails the band.

CUDA has its own tests (``test_sampler_cuda.py``, marker ``gpu``).
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

from diffbounds.simulators import (
    GaussianMixture,
    mixture_score,
    perturbed_score,
    sample,
    schedule,
    uniform_error,
)

MIX = GaussianMixture([0.5, 0.3, 0.2], [[-2.0, 0.0], [2.0, 1.0], [0.0, -3.0]], [0.5, 1.0, 0.3])
OTHER = GaussianMixture([0.4, 0.6], [[-1.0, 0.5], [1.5, -0.5]], [0.7, 0.4])


def _model(name):
    if name == "exact":
        return MIX
    if name == "wrong_mixture":
        return mixture_score(OTHER, MIX)
    region, direction = name.split("/")
    if region == "none":
        return uniform_error(MIX, 0.2, direction=direction)
    return perturbed_score(MIX, eps=0.2, delta=0.05, bad_magnitude=5.0, region=region,
                           direction=direction, n_calibration=20_000)


PERTURBED = [f"{r}/{d}" for r in ("halfspace", "tail", "none")
             for d in ("adversarial", "radial", "random")]
ALL_MODELS = ["exact", "wrong_mixture", *PERTURBED]
QUICK = {"exact", "halfspace/adversarial"}  # one compile each; the rest under `slow`
TIMES = schedule.exponential(3.0, 0.01, 30)


def _params(models):
    return [pytest.param(m, marks=() if m in QUICK else pytest.mark.slow) for m in models]


@pytest.mark.parametrize("name", _params(ALL_MODELS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cross_backend_agreement_within_the_documented_tolerance(name, dtype):
    model = _model(name)
    a = sample(model, 200, TIMES, seed=1, backend="numpy", dtype=dtype)
    b = sample(model, 200, TIMES, seed=1, backend="cpu", dtype=dtype)
    scale = max(1.0, float(np.abs(a).max()))
    if dtype == "float64":
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10 * scale)
    else:
        far = np.flatnonzero(np.abs(a - b).max(axis=1) > 1e-3 * scale)
        assert far.size == 0, f"{far.size} of {len(a)} particles differ by up to " \
                              f"{np.abs(a - b).max():.3g}"


@pytest.mark.parametrize("name", _params(ALL_MODELS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bitwise_within_a_backend_across_threads_and_batch_sizes(name, dtype):
    model = _model(name)
    full = sample(model, 64, TIMES, seed=3, backend="cpu", dtype=dtype)
    np.testing.assert_array_equal(sample(model, 23, TIMES, seed=3, backend="cpu",
                                         dtype=dtype), full[:23])
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = sample(model, 64, TIMES, seed=3, backend="cpu", dtype=dtype)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, full)
    ref = sample(model, 64, TIMES, seed=3, backend="numpy", dtype=dtype)
    np.testing.assert_array_equal(sample(model, 23, TIMES, seed=3, backend="numpy",
                                         dtype=dtype), ref[:23])


def test_issue_example_float32_random_direction_d8():
    """The issue's measurement: d = 8, 1000 particles, 100 steps, float32, random direction."""
    rng = np.random.default_rng(0)
    mix = GaussianMixture([0.5, 0.5], 2.0 * rng.standard_normal((2, 8)), [0.5, 1.0])
    ps = perturbed_score(mix, eps=0.2, delta=0.05, bad_magnitude=5.0, direction="random")
    times = schedule.exponential(3.0, 0.01, 100)
    a = sample(ps, 1000, times, seed=2, backend="numpy", dtype="float32")
    b = sample(ps, 1000, times, seed=2, backend="cpu", dtype="float32")
    scale = max(1.0, float(np.abs(a).max()))
    assert np.all(np.abs(a - b).max(axis=1) <= 1e-3 * scale)
