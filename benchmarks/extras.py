"""The rows of ``diffbounds bench`` beyond the sampler backends (issue 11 §6).

* ``jax``: a JAX-jit implementation of the same step (isotropic mixture score by a softmax over
  components, exponential-integrator update, ``jax.random`` normals — JAX's counter-based
  threefry instead of SplitMix64 + AS241, a comparable cost), one ``lax.scan`` over the steps,
  timed like the other backends. Optional: skipped with a message when jax is not installed.
* ``startup``: seconds from launching a new interpreter to its first ``sample(..., "cpu")``
  result, with an empty kernel cache (cold) and again with the cache it left (warm).
* ``output_law``: the README's exact 1-D law (two-component mixture, perturbed score,
  exponential schedule, N = 200, default grid), kernels loaded, side by side with the original
  implementation (``law1d._output_law_reference``, kept for this): CPU and wall seconds of
  both, their ratios, and the TV between the two laws (the same method: ~1e-14).
* ``verify``: wall time of ``diffbounds verify --quick`` in a new process.
* ``machine``: the CPU's name, its widest vector unit (512 bits with AVX-512F, 256 with AVX2)
  and the load average before and after, so that numbers from a busy machine are recognisable.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from diffbounds.simulators import integrator_coefficients, schedule
from diffbounds.simulators.scores import MixtureScore


# ---------------------------------------------------------------- machine
def machine_info() -> dict:
    """CPU name, vector width (bits) from LLVM's host features, cores, load average."""
    import llvmlite.binding as ll

    features = ll.get_host_cpu_features()
    width = 512 if features.get("avx512f") else 256 if features.get("avx2") else 128
    return {"cpu": ll.get_host_cpu_name(), "vector_width_bits": width,
            "avx512f": bool(features.get("avx512f")), "avx2": bool(features.get("avx2")),
            "cores": os.cpu_count(), "load_average": list(os.getloadavg())}


# ---------------------------------------------------------------- JAX
def jax_score(x, logc, means, inv_var):
    """Isotropic mixture score Σ_k softmax_k(log c_k − ‖x − μ_k‖²/(2 v_k)) (μ_k − x)/v_k in JAX;
    x (n, d), logc (K,), means (K, d), inv_var (K,)."""
    import jax
    import jax.numpy as jnp

    diff = means[None, :, :] - x[:, None, :]
    logits = logc[None, :] - 0.5 * inv_var[None, :] * jnp.sum(diff * diff, axis=-1)
    w = jax.nn.softmax(logits, axis=1) * inv_var[None, :]
    return jnp.einsum("nk,nkd->nd", w, diff)


def jax_sampler(mixture, times, dtype):
    """A jitted ``run(x0, seed) -> x`` of the whole chain for an isotropic mixture."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    _, (logc, means, inv_var) = MixtureScore(mixture).kernel_program(times, dtype)
    coefs = integrator_coefficients(times).astype(dtype)
    steps = jnp.arange(len(coefs))

    @jax.jit
    def run(x0, seed):
        key = jax.random.PRNGKey(seed)

        def step(x, inp):
            lc, mu, iv, c, k = inp
            xi = jax.random.normal(jax.random.fold_in(key, k), x.shape, x.dtype)
            return c[0] * x + c[1] * jax_score(x, lc, mu, iv) + c[2] * xi, None

        x, _ = jax.lax.scan(step, x0, (jnp.asarray(logc), jnp.asarray(means),
                                       jnp.asarray(inv_var), jnp.asarray(coefs), steps))
        return x

    return run


def time_jax(mixture, n, times, dtype, repeats):
    """Median seconds of the JAX chain (after a compiling call), or None without jax."""
    try:
        import jax  # noqa: F401
    except ImportError:
        return None
    run = jax_sampler(mixture, times, dtype)
    x0 = np.random.default_rng(0).standard_normal((n, mixture.dim)).astype(dtype)
    run(x0, 0).block_until_ready()
    seconds = []
    for r in range(repeats):
        t0 = time.perf_counter()
        run(x0, r + 1).block_until_ready()
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds)


# ---------------------------------------------------------------- start-up
_FIRST_RESULT = """\
from diffbounds.benchmarks.sampler import standard_mixture
from diffbounds.simulators import sample, schedule
sample(standard_mixture(), 1000, schedule.exponential(5.0, 1e-3, 200), backend="cpu")
"""


def startup_seconds() -> dict:
    """Seconds from a new interpreter's launch to its first CPU sample() result: cold (empty
    kernel cache) and warm (the cache the cold run left), in a temporary cache directory."""
    with tempfile.TemporaryDirectory(prefix="diffbounds-bench-cache-") as cache:
        env = dict(os.environ, DIFFBOUNDS_CACHE_DIR=cache)
        env.pop("NUMBA_CACHE_DIR", None)
        out = {}
        for label in ("cold", "warm"):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", _FIRST_RESULT], env=env, check=True)
            out[label] = time.perf_counter() - t0
    return out


# ---------------------------------------------------------------- exact 1-D law
def readme_output_law_seconds(reference: bool = True) -> dict:
    """Seconds of ``output_law`` on the README example (kernels loaded first) and, with
    ``reference``, of the implementation before issue 11 §3 (``law1d._output_law_reference``)
    in the same process: ``speedup_cpu`` / ``speedup_wall`` are reference / new, and
    ``tv_to_reference`` the TV between the two laws on the union of their lattices."""
    from diffbounds.simulators import GaussianMixture, perturbed_score
    from diffbounds.simulators.law1d import _output_law_reference, output_law

    mix = GaussianMixture([0.5, 0.5], [[-2.0], [1.5]], [0.25, 0.5])
    score = perturbed_score(mix, eps=0.05, delta=1e-3, bad_magnitude=1e3)
    times = schedule.exponential(T=6.0, t_stop=1e-2, n_steps=200)
    # load (or compile) every kernel: by step 10 the law is long enough (175 k cells) for the
    # overlap-add path of the convolution
    output_law(score, times[:11])
    t0, c0 = time.perf_counter(), time.process_time()
    law = output_law(score, times)
    out = {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
           "cells": law.cells, "tv": law.tv(mix.at(1e-2))}
    if reference:
        t0, c0 = time.perf_counter(), time.process_time()
        ref = _output_law_reference(score, times)
        out["reference_seconds"] = time.perf_counter() - t0
        out["reference_cpu_seconds"] = time.process_time() - c0
        out["speedup_wall"] = out["reference_seconds"] / out["seconds"]
        out["speedup_cpu"] = out["reference_cpu_seconds"] / out["cpu_seconds"]
        out["tv_to_reference"] = _grid_tv(law, ref)
    return out


def _grid_tv(a, b) -> float:
    """½ Σ |a − b| of two GridLaws of the same spacing, on the union of their lattices."""
    lo, hi = min(a.start, b.start), max(a.start + a.cells, b.start + b.cells)
    pa, pb = np.zeros(hi - lo), np.zeros(hi - lo)
    pa[a.start - lo:a.start - lo + a.cells] = a.mass
    pb[b.start - lo:b.start - lo + b.cells] = b.mass
    return 0.5 * float(np.abs(pa - pb).sum())


# ---------------------------------------------------------------- verify --quick
def verify_quick_seconds() -> dict:
    """Wall seconds and exit status of ``diffbounds verify --quick`` in a new process."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as wd:  # verify may write files to the working dir
        proc = subprocess.run([sys.executable, "-m", "diffbounds", "verify", "--quick"], cwd=wd,
                              capture_output=True, text=True)
    return {"seconds": time.perf_counter() - t0, "returncode": proc.returncode}
