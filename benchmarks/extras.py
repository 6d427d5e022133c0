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
* ``families`` (issue 11 §1, "report each one's speed"): every score family through the CPU
  kernels and the NumPy reference (``FAMILIES``, ``family_score``, ``score_family_rows``).
* ``samplers``: each built-in sampler compiled into the CPU kernel (``sampler_rows``) and the
  paths that run Python every step, in ns per particle-step (``generic_path_rows``).
* ``memory``: peak resident memory of 10⁶ particles in a fresh process (``memory_rows``; the
  issue's target is under 1 GiB).
* ``machine``: the CPU's name, its widest vector unit (512 bits with AVX-512F, 256 with AVX2),
  the width the compiled code actually uses (``vector_width_used``) and the load average
  before and after, so that numbers from a busy machine are recognisable.
"""

from __future__ import annotations

import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from diffbounds.simulators import integrator_coefficients, schedule
from diffbounds.simulators.scores import KernelScore, MixtureScore

if TYPE_CHECKING:
    from diffbounds.simulators import GaussianMixture


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


# ---------------------------------------------------------------- shared timing
def _median_seconds(call: Callable[[], Any], repeats: int) -> float:
    """Median wall seconds of ``repeats`` calls of ``call()`` (the caller warms it up)."""
    seconds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds)


def _time_sample(score: Any, n: int, times: np.ndarray, backend: str, repeats: int,
                 **kw: Any) -> float:
    """Median seconds of ``sample(score, n, times, backend=backend, **kw)`` (float64) after a
    warm-up call at ``min(n, 256)`` particles (which compiles or loads the kernel)."""
    from diffbounds.simulators import sample

    sample(score, min(n, 256), times, backend=backend, **kw)
    return _median_seconds(lambda: sample(score, n, times, backend=backend, **kw), repeats)


# ---------------------------------------------------------------- score families (§1)
#: the score families timed by ``score_family_rows``, in table order
FAMILIES = ("isotropic", "diagonal", "full", "perturbed_halfspace_adversarial",
            "perturbed_tail_random", "wrong_mixture", "fitted_mixture")

#: fitted-mixture row: training data points and L-BFGS-B iterations per training time
FIT_M, FIT_MAXITER = 256, 3


def family_score(name: str, mixture: GaussianMixture, times: np.ndarray) -> Any:
    """The score model of score family ``name`` built on the standard workload.

    Parameters
    ----------
    name : str
        One of ``FAMILIES``:

        * ``isotropic`` — ``mixture`` itself (the standard workload);
        * ``diagonal`` — the same weights and means, per-coordinate variances
          ``v · U[0.5, 2]`` (v = the standard variance, seed 1);
        * ``full`` — the same weights and means, covariances Q_k diag(v · U[0.5, 2]) Q_kᵀ with
          Q_k a random orthogonal matrix (QR of a Gaussian matrix, seed 1);
        * ``perturbed_halfspace_adversarial`` — ``perturbed_score(mixture, eps=0.1,
          delta=1e-3, bad_magnitude=10, region="halfspace", direction="adversarial")``;
        * ``perturbed_tail_random`` — the same with ``region="tail"``, ``direction="random"``,
          ``delta=1e-2`` and ``n_calibration=20000`` (δ·n = 200 calibration points in the
          tail; the Monte-Carlo calibration happens once per time, in the set-up);
        * ``wrong_mixture`` — ``mixture_score(standard mixture of seed 1, truth=mixture)``;
        * ``fitted_mixture`` — a ``MixtureFit`` from ``training.fit_mixture`` on ``FIT_M``
          draws of ``mixture`` at the schedule's step times ``times[:-1]``, isotropic class,
          started at the true marginals (``init=mixture``, no restarts) and stopped after
          ``FIT_MAXITER`` L-BFGS-B iterations per time: a real trained model at a small fraction
          of a full fit's cost (the kernel's speed does not depend on the fit's quality: the
          same per-step parameter tables whatever their values).
    mixture : GaussianMixture
        The standard workload's mixture (``sampler.standard_mixture``).
    times : ndarray, shape (N + 1,)
        The schedule the family will be sampled on (the fitted model is trained at
        ``times[:-1]``).

    Returns
    -------
    score model
        A ``GaussianMixture`` or a ``KernelScore`` accepted by ``simulators.sample``.

    Raises
    ------
    ValueError
        ``name`` is not in ``FAMILIES``.
    """
    from diffbounds.simulators import GaussianMixture, mixture_score, perturbed_score

    if name not in FAMILIES:
        raise ValueError(f"name: unknown score family {name!r}; known: {FAMILIES}")
    K, d = mixture.n_components, mixture.dim
    v = float(np.mean(mixture.eigvals))
    rng = np.random.default_rng(1)
    if name == "isotropic":
        return mixture
    if name == "diagonal":
        return GaussianMixture(mixture.weights, mixture.means, v * rng.uniform(0.5, 2.0, (K, d)))
    if name == "full":
        q, r = np.linalg.qr(rng.standard_normal((K, d, d)))
        q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]
        lam = v * rng.uniform(0.5, 2.0, (K, d))
        cov = np.einsum("kij,kj,klj->kil", q, lam, q)
        return GaussianMixture(mixture.weights, mixture.means, 0.5 * (cov + cov.transpose(0, 2, 1)))
    if name == "perturbed_halfspace_adversarial":
        return perturbed_score(mixture, eps=0.1, delta=1e-3, bad_magnitude=10.0,
                               region="halfspace", direction="adversarial")
    if name == "perturbed_tail_random":
        return perturbed_score(mixture, eps=0.1, delta=1e-2, bad_magnitude=10.0, region="tail",
                               direction="random", n_calibration=20_000)
    if name == "wrong_mixture":
        from diffbounds.benchmarks.sampler import standard_mixture

        other = standard_mixture(d, K, seed=1)
        return mixture_score(other, truth=mixture)
    from diffbounds.simulators.training import fit_mixture

    x0 = mixture.sample(FIT_M, seed=1)
    return fit_mixture(x0, np.asarray(times)[:-1], K, cov_type="isotropic", restarts=0,
                       init=mixture, seed=2, maxiter=FIT_MAXITER)


def score_family_rows(mixture: GaussianMixture, times: np.ndarray, *, n: int, n_numpy: int,
                      repeats: int, families: Sequence[str] = FAMILIES,
                      progress: Callable[[str], Any] | None = None) -> list[dict]:
    """CPU and NumPy float64 seconds of each score family on the standard workload.

    Parameters
    ----------
    mixture, times
        The standard workload's mixture and schedule.
    n, n_numpy : int
        Particles of the CPU and of the NumPy runs (the NumPy reference is ~10–40× slower, so
        the benchmark gives it fewer particles; the ratio is per particle).
    repeats : int
        Timed calls per backend (median), after one warm-up call at ``min(n, 256)``.
    families : sequence of str
        A subset of ``FAMILIES``.
    progress : callable or None
        Called with one line per finished row.

    Returns
    -------
    list of dict
        One row per family: ``family``, ``kernel_family`` (the compiled family it runs as),
        ``setup_seconds`` (building the model and its first kernel program: the fit, the
        tail calibration), ``n``, ``cpu_float64_seconds``, ``n_numpy``,
        ``numpy_float64_seconds``, ``ratio_to_numpy`` = (NumPy s / n_numpy) / (CPU s / n).

    Raises
    ------
    ValueError
        An unknown family (before any work).
    """
    from diffbounds.simulators.scores import as_score_model

    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise ValueError(f"families: unknown {unknown}; known: {FAMILIES}")
    rows = []
    for name in families:
        t0 = time.perf_counter()
        score = family_score(name, mixture, times)
        model = as_score_model(score)
        assert isinstance(model, KernelScore)  # every family here is evaluated in the kernels
        kind = model.kernel_program(times, "float64")[0]
        setup = time.perf_counter() - t0
        cpu = _time_sample(score, n, times, "cpu", repeats)
        ref = _time_sample(score, n_numpy, times, "numpy", repeats)
        row = dict(family=name, kernel_family=kind if isinstance(kind, str) else
                   "/".join(str(p) for p in kind), setup_seconds=setup, n=n,
                   cpu_float64_seconds=cpu, n_numpy=n_numpy, numpy_float64_seconds=ref,
                   ratio_to_numpy=(ref / n_numpy) / (cpu / n))
        rows.append(row)
        if progress:
            progress(f"  score family {name:32s} cpu {cpu:8.4f} s (n={n})  numpy {ref:8.4f} s "
                     f"(n={n_numpy})  x{row['ratio_to_numpy']:.1f}")
    return rows


# ---------------------------------------------------------------- samplers (§1, samplers)
def _user_euler_maruyama(x: np.ndarray, score: Callable, t: float, t_next: float,
                         noise: Callable) -> np.ndarray:
    """A user-written step of the ``samplers`` contract: Euler–Maruyama, written out."""
    h = t - t_next
    return x + h * (x + 2.0 * score(x, t)) + np.sqrt(2.0 * h) * noise()


def sampler_rows(mixture: GaussianMixture, times: np.ndarray, *, n: int, repeats: int,
                 progress: Callable[[str], Any] | None = None) -> list[dict]:
    """CPU float64 seconds of the standard workload with each built-in sampler, compiled.

    Returns
    -------
    list of dict
        One row per ``simulators.samplers.BUILTINS`` entry: ``sampler``, ``n``,
        ``cpu_float64_seconds``, ``ns_per_particle_step`` (10⁹ s / (n N)) and
        ``cost_relative_to_exponential_integrator`` (seconds / the exponential integrator's
        seconds in the same run; the two-stage ``pf_heun`` evaluates the score twice per step).
    """
    from diffbounds.simulators.samplers import BUILTINS, DEFAULT

    n_steps = len(times) - 1
    rows: list[dict[str, Any]] = []
    for name in BUILTINS:
        secs = _time_sample(mixture, n, times, "cpu", repeats, sampler=name)
        rows.append(dict(sampler=name, n=n, cpu_float64_seconds=secs,
                         ns_per_particle_step=1e9 * secs / (n * n_steps)))
    base = next(r["cpu_float64_seconds"] for r in rows if r["sampler"] == DEFAULT)
    for r in rows:
        r["cost_relative_to_exponential_integrator"] = r["cpu_float64_seconds"] / base
        if progress:
            progress(f"  sampler {r['sampler']:24s} {r['cpu_float64_seconds']:8.4f} s  "
                     f"{r['ns_per_particle_step']:7.1f} ns/particle-step  "
                     f"x{r['cost_relative_to_exponential_integrator']:.2f} of the default")
    return rows


def generic_path_rows(mixture: GaussianMixture, times: np.ndarray, *, n: int, repeats: int,
                      progress: Callable[[str], Any] | None = None) -> list[dict]:
    """Cost per particle-step of the paths that call Python every step (float64).

    Rows (``path``):

    * ``generic_builtin_step`` — ``samplers.run("euler_maruyama", score, ...)``: the built-in
      step in vectorized NumPy, the score a plain callable ``mixture.at(t).score(x)``;
    * ``generic_user_step`` — ``sample(mixture, ..., sampler=<a Python step callable>)``: a
      user-written Euler–Maruyama step (``_user_euler_maruyama``) on the generic path;
    * ``callable_score_compiled_update`` — ``sample(callable, ..., backend="cpu",
      sampler="euler_maruyama")``: the score called in Python once per step, the update in
      the CPU kernel.

    Returns
    -------
    list of dict
        ``path``, ``n``, ``seconds`` (median of ``repeats`` after a warm-up at
        ``min(n, 256)``), ``ns_per_particle_step`` = 10⁹ seconds / (n N).
    """
    from diffbounds.simulators import sample, samplers

    d, n_steps = mixture.dim, len(times) - 1

    def score(x, t):
        return mixture.at(t).score(x)

    def builtin(m):
        return samplers.run("euler_maruyama", score, m, d, times)

    calls = {
        "generic_builtin_step": builtin,
        "generic_user_step": lambda m: sample(mixture, m, times, backend="cpu",
                                              sampler=_user_euler_maruyama),
        "callable_score_compiled_update": lambda m: sample(score, m, times, backend="cpu",
                                                           sampler="euler_maruyama", dim=d),
    }
    rows = []
    for path, call in calls.items():
        call(min(n, 256))
        secs = _median_seconds(functools.partial(call, n), repeats)
        rows.append(dict(path=path, n=n, seconds=secs,
                         ns_per_particle_step=1e9 * secs / (n * n_steps)))
        if progress:
            progress(f"  {path:32s} n={n:<7d} {secs:8.4f} s  "
                     f"{rows[-1]['ns_per_particle_step']:8.1f} ns/particle-step")
    return rows


# ---------------------------------------------------------------- memory at 1e6 particles
_MEMORY_SCRIPT = """\
import json, resource, sys

def rss(key):
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    if key == "VmHWM":  # ru_maxrss: KiB on Linux, bytes on macOS
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
    return None

n, n_steps, dtype = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
from diffbounds.benchmarks.sampler import standard_mixture
from diffbounds.simulators import sample, schedule

mix = standard_mixture()
times = schedule.exponential(5.0, 1e-3, n_steps)
imports = rss("VmRSS") or rss("VmHWM")
sample(mix, 256, times, backend="cpu", dtype=dtype)  # compile or load the kernel
loaded = rss("VmRSS") or rss("VmHWM")
try:  # reset the high-water mark to the current RSS (Linux >= 4.0), so that a compile's
    with open("/proc/self/clear_refs", "w") as fh:  # peak does not count as the run's
        fh.write("5")
    reset = True
except OSError:
    reset = False
x = sample(mix, n, times, backend="cpu", dtype=dtype)
peak = rss("VmHWM")
print(json.dumps({"after_imports": imports, "kernel_loaded": loaded, "peak": peak,
                  "hwm_reset": reset, "out_bytes": x.nbytes}))
"""


def memory_rows(*, n: int = 10**6, n_steps: int = 20,
                dtypes: Sequence[str] = ("float64", "float32"),
                progress: Callable[[str], Any] | None = None) -> list[dict]:
    """Peak resident memory of ``sample(standard mixture, n, times, backend="cpu")``, each run
    in a fresh interpreter (Numba's allocations are invisible to tracemalloc).

    The peak is ``VmHWM`` of /proc/self/status (``ru_maxrss`` where /proc is absent), with the
    high-water mark reset after the kernel is loaded (``/proc/self/clear_refs``), so a cold
    compile's LLVM memory is not counted. The chain's memory does not grow with the number of
    steps (the state is advanced in place; the per-step parameter tables are N·K·d numbers),
    so the default schedule has ``n_steps = 20`` (same T and t_stop) to keep the run short.

    Returns
    -------
    list of dict
        Per dtype: ``dtype``, ``n``, ``n_steps``, ``peak_rss_mib`` (the whole process),
        ``after_imports_mib``, ``kernel_loaded_mib`` (RSS after imports and after the warm-up
        call), ``run_increment_mib`` = peak − kernel_loaded (the sampler's own memory),
        ``state_mib`` (the (n, d) output array), ``hwm_reset`` (False: the peak may include
        the compile), ``under_1_gib`` (peak_rss_mib < 1024).

    Raises
    ------
    subprocess.CalledProcessError
        The measuring interpreter failed (its stderr is in the exception).
    """
    import json

    rows = []
    for dtype in dtypes:
        proc = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, str(int(n)),
                               str(int(n_steps)), dtype], capture_output=True, text=True,
                              check=True)
        m = json.loads(proc.stdout.strip().splitlines()[-1])
        mib = 2.0**20
        row = dict(dtype=dtype, n=int(n), n_steps=int(n_steps), peak_rss_mib=m["peak"] / mib,
                   after_imports_mib=m["after_imports"] / mib,
                   kernel_loaded_mib=m["kernel_loaded"] / mib,
                   run_increment_mib=(m["peak"] - m["kernel_loaded"]) / mib,
                   state_mib=m["out_bytes"] / mib, hwm_reset=m["hwm_reset"])
        row["under_1_gib"] = row["peak_rss_mib"] < 1024.0
        rows.append(row)
        if progress:
            progress(f"  memory {dtype:8s} n={n:.0e}: peak RSS {row['peak_rss_mib']:.0f} MiB "
                     f"(imports {row['after_imports_mib']:.0f}, kernel loaded "
                     f"{row['kernel_loaded_mib']:.0f}, run +{row['run_increment_mib']:.0f})")
    return rows


# ---------------------------------------------------------------- vector width in use
def vector_width_used() -> dict:
    """The SIMD width the CPU kernels' compiled code actually uses on this machine
    (``simulators.kernels.cpu.compiled_vector_width_bits``: a probe loop compiled exactly like
    the kernels, including their 512-bit preference where the CPU has AVX-512F, read from its
    assembly). Without that preference LLVM's tuning for many AVX-512 CPUs would emit 256-bit
    code, so this is the figure to compare with ``machine_info()["vector_width_bits"]``.

    Returns
    -------
    dict
        ``vector_width_used_bits`` (int, or None when the assembly is unavailable) and
        ``register_counts`` ({"zmm", "ymm", "xmm"}: occurrences in the probe's assembly).
    """
    from diffbounds.simulators.kernels.cpu import compiled_vector_width_bits

    probe = compiled_vector_width_bits()
    return {"vector_width_used_bits": probe["bits"], "register_counts": probe["register_counts"]}
