"""The built-in samplers compiled into the shared step math (issue 10 §1).

Oracles:
- **Per-particle affine recursion** (Gaussian target N(MU0, V0)): each built-in step on the exact
  score is x′ = A x + B + c ξ with A, B, c derived by hand in ``_sampler_oracle`` (not from
  ``simulators.samplers``), and ξ is the step's counter-based normal, which the contract fixes
  (draw 0 of step k = ``normals(seed, n, k, d)``). So every particle's output is known exactly;
  the compiled path on each backend must reproduce it to rounding (1e-12 · scale in float64).
- **Two implementations of each step**: the compiled path (the sampler's
  ``kernel_coefficients``) against the generic NumPy path (its ``mean_map`` + ``noise_scales``),
  on a non-Gaussian mixture and on a perturbed score, within the cross-backend tolerance
  1e-10 · scale (float64) / 1e-3 · scale (float32).
"""

import numpy as np
import pytest

from diffbounds.simulators import GaussianMixture, sample, schedule
from diffbounds.simulators import samplers as S
from diffbounds.simulators.kernels.numpy_backend import normals
from diffbounds.simulators.sampler import initial_noise
from diffbounds.simulators.score_errors import perturbed_score
from tests.simulators._sampler_oracle import MU0, V0, affine

TIMES = schedule.exponential(4.0, 0.05, 12)
GAUSS = GaussianMixture([1.0], [MU0], [V0])
BIMODAL = GaussianMixture([0.3, 0.7], [-2.0, 1.5], [0.05, 0.3])
NAMES = sorted(S.BUILTINS)


def _affine_chain(name, n, seed):
    x = initial_noise(seed, n, 1)
    for k in range(len(TIMES) - 1):
        A, B, c = affine(name, float(TIMES[k]), float(TIMES[k + 1]))
        x = A * x + B + c * normals(seed, n, k, 1)
    return x


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("name", NAMES)
def test_compiled_step_equals_the_hand_derived_affine_recursion(name, backend):
    want = _affine_chain(name, 300, seed=4)
    got = sample(GAUSS, 300, TIMES, seed=4, sampler=name, backend=backend)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * max(1.0, np.abs(want).max()))


@pytest.mark.parametrize("name", NAMES)
def test_compiled_path_equals_the_generic_path_on_a_mixture(name):
    gen = S.run(name, lambda x, t: BIMODAL.at(t).score(x), 200, 1, TIMES, seed=8)
    for backend in ("numpy", "cpu"):
        got = sample(BIMODAL, 200, TIMES, seed=8, sampler=name, backend=backend)
        np.testing.assert_allclose(got, gen, rtol=0, atol=1e-10 * max(1.0, np.abs(gen).max()))


@pytest.mark.parametrize("name", ["pf_heun", "euler_maruyama"])
def test_compiled_path_with_a_perturbed_score(name):
    mix = GaussianMixture([0.5, 0.5], [[-1.0, 0.5], [1.5, -0.5]], [0.2, 0.4])
    ps = perturbed_score(mix, eps=0.2, delta=0.05, bad_magnitude=3.0, direction="adversarial",
                         n_calibration=5000)
    gen = S.run(name, ps, 150, 2, TIMES, seed=2)
    for backend in ("numpy", "cpu"):
        got = sample(ps, 150, TIMES, seed=2, sampler=name, backend=backend)
        np.testing.assert_allclose(got, gen, rtol=0, atol=1e-10 * max(1.0, np.abs(gen).max()))
    f = sample(ps, 150, TIMES, seed=2, sampler=name, backend="cpu", dtype="float32")
    assert np.abs(f - gen).max(axis=1).max() <= 1e-3 * max(1.0, np.abs(gen).max())


def test_compiled_samplers_bitwise_across_batch_sizes_and_threads():
    import numba

    full = sample(BIMODAL, 300, TIMES, seed=6, sampler="pf_heun", backend="cpu")
    assert np.array_equal(sample(BIMODAL, 37, TIMES, seed=6, sampler="pf_heun",
                                 backend="cpu"), full[:37])
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = sample(BIMODAL, 300, TIMES, seed=6, sampler="pf_heun", backend="cpu")
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(one, full)


def test_one_stage_builtins_with_a_callable_score_use_the_update_kernel():
    # a plain callable score: the score runs in Python, the update in the backend's kernel;
    # the result equals the generic path to rounding
    def score(x, t):
        return BIMODAL.at(t).score(x)

    got = sample(score, 100, TIMES, seed=1, sampler="ancestral", backend="cpu", dim=1)
    gen = S.run("ancestral", score, 100, 1, TIMES, seed=1)
    np.testing.assert_allclose(got, gen, rtol=0, atol=1e-10 * max(1.0, np.abs(gen).max()))
    # the two-stage Heun step with a callable score runs on the generic path: identical
    heun = sample(score, 100, TIMES, seed=1, sampler="pf_heun", backend="cpu", dim=1)
    assert np.array_equal(heun, S.run("pf_heun", score, 100, 1, TIMES, seed=1))


def test_a_subclass_of_a_builtin_runs_its_own_step():
    class Halved(S.EulerMaruyama):
        def mean_map(self, x, score, times, k):
            t, _, h = S._steps(times, k)
            return x + h * (x + score(x, t))  # a deliberately different drift

    assert Halved().kernel_coefficients(TIMES) is None
    a = sample(BIMODAL, 100, TIMES, seed=3, sampler=Halved())
    b = sample(BIMODAL, 100, TIMES, seed=3, sampler="euler_maruyama")
    assert np.abs(a - b).max() > 1e-3
