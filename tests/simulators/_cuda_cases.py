"""Small sampler cases run on the CUDA backend (in the simulator or on a GPU) and on NumPy.

Run as a script with NUMBA_ENABLE_CUDASIM=1 (the variable must be set before numba is imported)
it writes the CUDA results to the .npz path given as argv[1]. Kept to tens of threads and few
steps: the simulator runs one Python thread per CUDA thread.
"""

from __future__ import annotations

import sys

import numpy as np


def mixture(cov_type, d=3, K=2, seed=0, random_weights=False):
    """A test mixture of the given covariance structure (equal weights unless asked)."""
    from diffbounds.simulators import GaussianMixture

    r = np.random.default_rng(seed)
    means = 2.0 * r.standard_normal((K, d))
    if cov_type == "isotropic":
        cov = r.uniform(0.2, 1.0, K)
    elif cov_type == "diagonal":
        cov = r.uniform(0.2, 1.0, (K, d))
    else:
        A = r.standard_normal((K, d, d))
        cov = np.einsum("kij,klj->kil", A, A) / d + 0.2 * np.eye(d)
    if random_weights:
        w = r.uniform(0.5, 1.0, K)
        return GaussianMixture(w / w.sum(), means, cov)
    return GaussianMixture(np.full(K, 1.0 / K), means, cov)


# name -> (cov_type, dtype, n, n_steps, threads_per_block)
CASES = {
    "iso64": ("isotropic", "float64", 20, 4, 128),
    "iso64_grid8": ("isotropic", "float64", 20, 4, 8),
    "diag32": ("diagonal", "float32", 12, 3, 128),
    "full64": ("full", "float64", 12, 3, 128),
    "generic64": ("generic", "float64", 10, 3, 128),
    "perturbed64": ("perturbed", "float64", 12, 3, 128),
    # built-in samplers compiled into the kernels (issue 10): the two-stage step and a noisy one
    "heun64": ("isotropic", "float64", 12, 3, 128, "pf_heun"),
    "ancestral_perturbed32": ("perturbed", "float32", 12, 3, 128, "ancestral"),
}


def run_case(name, backend):
    from diffbounds.simulators import sample, schedule
    from diffbounds.simulators.kernels import cuda as cuda_backend

    cov_type, dtype, n, n_steps, tpb, *rest = CASES[name]
    smp = rest[0] if rest else "exponential_integrator"
    times = schedule.exponential(3.0, 0.05, n_steps)
    if backend == "cuda":
        cuda_backend.THREADS_PER_BLOCK = tpb
    if cov_type == "perturbed":
        from diffbounds.simulators.score_errors import perturbed_score

        ps = perturbed_score(mixture("diagonal"), eps=0.3, delta=0.2, bad_magnitude=4.0,
                             direction="random", seed=3)
        return sample(ps, n, times, seed=7, backend=backend, dtype=dtype, sampler=smp)
    if cov_type == "generic":
        mix = mixture("isotropic")
        return sample(lambda x, t: mix.at(t).score(x), n, times, seed=7, backend=backend,
                      dtype=dtype, dim=mix.dim)
    return sample(mixture(cov_type), n, times, seed=7, backend=backend, dtype=dtype,
                  sampler=smp)


if __name__ == "__main__":
    out = {name: run_case(name, "cuda") for name in CASES}
    np.savez(sys.argv[1], **out)
