"""The standard sampler workload, timed on every available backend in the same run.

Workload (issue 2 §6): n = 20000 particles, d = 8, K = 8 isotropic components (means ~ 3·N(0, I),
variance 0.25, equal weights, seed 0), exponential schedule with N = 200 steps from T = 5 to
t_stop = 1e-3, float64 and float32. Seconds are the median of ``repeats`` timed calls after one
warm-up (compiling) call; ratios are to the NumPy reference in float64 measured in the same run.
Throughput is particle·component·steps per second. Peak memory is the tracemalloc peak of
NumPy/Python allocations during one call (Numba's own allocations are not traced; the
``memory`` extra measures the whole process's peak RSS instead).

Extras (issue 11 §1/§6; ``benchmarks.extras``, each skippable): the JAX-jit step, cold/warm start,
``output_law``, ``verify --quick``; ``families``: every score family (isotropic, diagonal, full
covariance, perturbed half-space/adversarial and tail/random, wrong mixture, fitted mixture) at
the standard size on the CPU and, at ``min(n, 10000)`` particles, on NumPy (float64; ratio per
particle); ``samplers``: each built-in sampler compiled (CPU float64, cost relative to the
exponential integrator) and the Python-step paths in ns per particle-step; ``memory``: peak RSS
of 10⁶ particles in a fresh process, float64 and float32. The SIMD width the compiled code
actually uses is always probed (``machine.vector_width_used_bits``).
"""

from __future__ import annotations

import datetime
import json
import platform
import statistics
import time
import tracemalloc

import numpy as np

from diffbounds.simulators import GaussianMixture, sample, schedule

WORKLOAD = dict(n=20000, dim=8, n_components=8, mean_scale=3.0, variance=0.25, seed=0,
                schedule="exponential", T=5.0, t_stop=1e-3, n_steps=200)


def standard_mixture(dim=8, n_components=8, mean_scale=3.0, variance=0.25, seed=0):
    rng = np.random.default_rng(seed)
    means = mean_scale * rng.standard_normal((n_components, dim))
    return GaussianMixture(np.full(n_components, 1.0 / n_components), means,
                           np.full(n_components, variance))


def _cuda_available() -> bool:
    try:
        from diffbounds.simulators.kernels.cuda import require_cuda

        require_cuda()
        return True
    except Exception:
        return False


def _gpu_name() -> str | None:
    try:
        from numba import cuda

        return cuda.get_current_device().name.decode() if hasattr(
            cuda.get_current_device().name, "decode") else str(cuda.get_current_device().name)
    except Exception:
        return None


def time_backend(mixture, n, times, backend, dtype, repeats):
    sample(mixture, min(n, 256), times, backend=backend, dtype=dtype)  # warm-up / compile
    seconds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sample(mixture, n, times, backend=backend, dtype=dtype)
        seconds.append(time.perf_counter() - t0)
    tracemalloc.start()
    sample(mixture, n, times, backend=backend, dtype=dtype)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(seconds), peak


EXTRAS = ("jax", "startup", "law", "verify", "families", "samplers", "memory")
#: particles (at most) of the NumPy runs of the "families" extra and of the Python-step paths
#: of the "samplers" extra. NumPy's per-step overhead makes its per-particle time depend on n
#: (measured: 1.8x slower per particle at n = 2000 than at 20000; model a + b n per step from
#: that run: ~1.1x at 10000), so the families' NumPy rows keep n large; the Python-step rows are
#: reported in ns per particle-step at their own n.
FAMILIES_NUMPY_N, GENERIC_N = 10_000, 2000
#: the "memory" extra: particles and steps of the measured run (memory does not grow with N)
MEMORY_N, MEMORY_STEPS = 10**6, 20


def _guarded(report_extra, key, progress, fn):
    """``report_extra[key] = fn()``; a failure is recorded as ``"failed: ..."`` (and printed)
    instead of losing the rows already measured."""
    try:
        report_extra[key] = fn()
    except Exception as exc:  # noqa: BLE001 - recorded in the report, the run goes on
        report_extra[key] = f"failed: {type(exc).__name__}: {exc}"
        if progress:
            progress(f"  {key}: {report_extra[key]}")


def run(*, n=None, n_steps=None, repeats=3, backends=None, cuda_n=10_000_000, progress=print,
        extras=EXTRAS, families=None, numpy_n=None, generic_n=None, memory_n=MEMORY_N,
        memory_steps=MEMORY_STEPS):
    """Time the standard workload; returns the JSON-ready report (``{"workload", "results"}``).

    ``extras``: any of ``EXTRAS`` — the JAX-jit step, cold/warm start, ``output_law`` on the
    README example and ``verify --quick``, each score family's speed (CPU and NumPy float64;
    ``families``: a subset of ``extras.FAMILIES``, default all), each built-in sampler compiled
    and the generic (Python-step) paths, and peak RSS of ``memory_n`` particles in a fresh
    process (``benchmarks.extras``). ``numpy_n``: particles of the families' NumPy runs
    (default ``min(n, FAMILIES_NUMPY_N)``; their ratios are per particle); ``generic_n``: of
    the Python-step paths (default ``min(n, GENERIC_N)``). The
    vector width the compiled code uses (``machine.vector_width_used_bits``) is always probed.

    Raises
    ------
    ValueError
        Unknown ``extras`` or ``families``; ``repeats`` < 1; ``numpy_n``/``generic_n``/``memory_n``/
        ``memory_steps`` < 1 (before any work).
    """
    from diffbounds.benchmarks import extras as ex

    unknown = set(extras) - set(EXTRAS)
    if unknown:
        raise ValueError(f"extras: unknown {sorted(unknown)}; allowed {EXTRAS}")
    families = ex.FAMILIES if families is None else tuple(families)
    bad = [f for f in families if f not in ex.FAMILIES]
    if bad:
        raise ValueError(f"families: unknown {bad}; allowed {ex.FAMILIES}")
    for name, value in (("numpy_n", numpy_n), ("generic_n", generic_n), ("memory_n", memory_n),
                        ("memory_steps", memory_steps)):
        if value is not None and int(value) < 1:
            raise ValueError(f"{name}: must be >= 1, got {value}")
    machine_before = ex.machine_info()
    w = dict(WORKLOAD)
    if n is not None:
        w["n"] = int(n)
    if n_steps is not None:
        w["n_steps"] = int(n_steps)
    if repeats < 1:
        raise ValueError(f"repeats: must be >= 1, got {repeats}")
    mixture = standard_mixture(w["dim"], w["n_components"], w["mean_scale"], w["variance"],
                               w["seed"])
    times = schedule.exponential(w["T"], w["t_stop"], w["n_steps"])
    if backends is None:
        backends = ["numpy", "cpu"] + (["cuda"] if _cuda_available() else [])
    plan = []
    for backend in backends:
        nb = cuda_n if backend == "cuda" else w["n"]
        for dtype in ("float64", "float32"):
            plan.append((backend, dtype, nb))
    results = []
    for backend, dtype, nb in plan:
        secs, peak = time_backend(mixture, nb, times, backend, dtype, repeats)
        pcs = nb * w["n_components"] * w["n_steps"]
        results.append(dict(backend=backend, dtype=dtype, n=nb, seconds=secs,
                            throughput=pcs / secs, peak_memory_mb=peak / 2**20))
        if progress:
            progress(f"  {backend:6s} {dtype:8s} n={nb:<9d} {secs:9.4f} s  "
                     f"{pcs / secs:10.3e} particle·component·steps/s")
    report_extra = {}
    if "jax" in extras:
        for dtype in ("float64", "float32"):
            secs = ex.time_jax(mixture, w["n"], times, dtype, repeats)
            if secs is None:
                report_extra["jax"] = "skipped: jax is not installed (pip install 'jax[cpu]')"
                if progress:
                    progress(f"  jax    {report_extra['jax']}")
                break
            pcs = w["n"] * w["n_components"] * w["n_steps"]
            results.append(dict(backend="jax", dtype=dtype, n=w["n"], seconds=secs,
                                throughput=pcs / secs, peak_memory_mb=None))
            if progress:
                progress(f"  jax    {dtype:8s} n={w['n']:<9d} {secs:9.4f} s")
    if "startup" in extras:
        report_extra["startup_seconds"] = ex.startup_seconds()
        if progress:
            progress(f"  start-up to first CPU result: {report_extra['startup_seconds']}")
    if "law" in extras:
        report_extra["output_law_readme"] = ex.readme_output_law_seconds()
        if progress:
            progress(f"  output_law (README example): {report_extra['output_law_readme']}")
    if "verify" in extras:
        report_extra["verify_quick"] = ex.verify_quick_seconds()
        if progress:
            progress(f"  verify --quick: {report_extra['verify_quick']}")
    numpy_n = min(w["n"], FAMILIES_NUMPY_N) if numpy_n is None else int(numpy_n)
    generic_n = min(w["n"], GENERIC_N) if generic_n is None else int(generic_n)
    if "families" in extras:
        _guarded(report_extra, "score_families", progress, lambda: ex.score_family_rows(
            mixture, times, n=w["n"], n_numpy=numpy_n, repeats=repeats, families=families,
            progress=progress))
    if "samplers" in extras:
        _guarded(report_extra, "samplers", progress, lambda: ex.sampler_rows(
            mixture, times, n=w["n"], repeats=repeats, progress=progress))
        _guarded(report_extra, "generic_path", progress, lambda: ex.generic_path_rows(
            mixture, times, n=generic_n, repeats=repeats, progress=progress))
    if "memory" in extras:
        _guarded(report_extra, "memory", progress, lambda: ex.memory_rows(
            n=memory_n, n_steps=memory_steps, progress=progress))
    vector = ex.vector_width_used()
    if progress:
        progress(f"  vector width used by compiled code: {vector['vector_width_used_bits']} bits "
                 f"(registers in the probe: {vector['register_counts']})")
    ref = next((r for r in results if r["backend"] == "numpy" and r["dtype"] == "float64"), None)
    for r in results:
        # Per-particle time ratio, so backends run at different n (CUDA) stay comparable.
        r["ratio_to_numpy"] = (ref["seconds"] / ref["n"]) / (r["seconds"] / r["n"]) if ref else None
    by = {(r["backend"], r["dtype"]): r for r in results}
    derived = {}
    if ("cpu", "float64") in by and ("cpu", "float32") in by:
        derived["cpu_float32_speedup"] = (by["cpu", "float64"]["seconds"]
                                          / by["cpu", "float32"]["seconds"])
    for dtype in ("float64", "float32"):
        if ("cpu", dtype) in by and ("jax", dtype) in by:
            derived[f"cpu_over_jax_{dtype}"] = (by["jax", dtype]["seconds"]
                                                / by["cpu", dtype]["seconds"])
    fam = report_extra.get("score_families")
    iso = next((r for r in fam if r["family"] == "isotropic"), None) if isinstance(fam, list) \
        else None
    if iso is not None and ("numpy", "float64") in by:
        # the families' NumPy rows may run at fewer particles: how much that shifts NumPy's
        # per-particle time (its per-step Python overhead), measured against the main row
        derived["numpy_per_particle_time_families_n_over_n"] = (
            (iso["numpy_float64_seconds"] / iso["n_numpy"])
            / (by["numpy", "float64"]["seconds"] / by["numpy", "float64"]["n"]))
    machine = ex.machine_info()
    return {
        "workload": w,
        "results": results,
        "derived": derived,
        **report_extra,
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "python": platform.python_version(),
                    "gpu": _gpu_name() if "cuda" in backends else None,
                    "cpu": machine["cpu"], "vector_width_bits": machine["vector_width_bits"],
                    "vector_width_used_bits": vector["vector_width_used_bits"],
                    "vector_probe_registers": vector["register_counts"],
                    "cores": machine["cores"],
                    "load_average_before": machine_before["load_average"],
                    "load_average_after": machine["load_average"]},
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def format_table(report) -> str:
    lines = [f"{'backend':8s} {'dtype':8s} {'n':>9s} {'seconds':>10s} {'throughput':>12s} "
             f"{'x numpy':>9s} {'peak MB':>9s}"]
    for r in report["results"]:
        ratio = "" if r["ratio_to_numpy"] is None else f"{r['ratio_to_numpy']:.1f}"
        peak = "" if r["peak_memory_mb"] is None else f"{r['peak_memory_mb']:.1f}"
        lines.append(f"{r['backend']:8s} {r['dtype']:8s} {r['n']:9d} {r['seconds']:10.4f} "
                     f"{r['throughput']:12.3e} {ratio:>9s} {peak:>9s}")
    for k, v in report.get("derived", {}).items():
        lines.append(f"{k}: {v:.2f}")
    if isinstance(report.get("jax"), str):
        lines.append(f"jax: {report['jax']}")
    if "startup_seconds" in report:
        st = report["startup_seconds"]
        lines.append(f"new process to first CPU sample() result: cold {st['cold']:.1f} s, "
                     f"warm {st['warm']:.1f} s")
    if "output_law_readme" in report:
        law = report["output_law_readme"]
        lines.append(f"output_law, README example: {law['seconds']:.1f} s "
                     f"({law['cpu_seconds']:.1f} s CPU, {law['cells']} cells)")
        if "speedup_cpu" in law:
            lines.append(f"  original implementation: {law['reference_seconds']:.1f} s "
                         f"({law['reference_cpu_seconds']:.1f} s CPU): "
                         f"{law['speedup_cpu']:.1f}x CPU, {law['speedup_wall']:.1f}x wall; "
                         f"TV between the laws {law['tv_to_reference']:.1e}")
    if "verify_quick" in report:
        v = report["verify_quick"]
        lines.append(f"verify --quick: {v['seconds']:.1f} s (exit {v['returncode']})")
    lines.extend(_extras_lines(report))
    m = report.get("machine", {})
    if "vector_width_bits" in m:
        used = m.get("vector_width_used_bits")
        lines.append(f"machine: {m['cpu']}, {m['cores']} cores, {m['vector_width_bits']}-bit "
                     f"vectors ({used}-bit used by compiled code); load average "
                     f"{m['load_average_before'][0]:.1f} before, "
                     f"{m['load_average_after'][0]:.1f} after")
    return "\n".join(lines)


def write_json(report, path):
    with open(path, "w") as fh:
        json.dump(report, fh, indent=2)


def _extras_lines(report) -> list[str]:
    """The score-family, sampler, generic-path and memory sections of ``format_table``."""
    lines = []
    fam = report.get("score_families")
    if isinstance(fam, list) and fam:
        lines += ["", f"{'score family':32s} {'n':>7s} {'cpu f64 s':>10s} {'n numpy':>8s} "
                      f"{'numpy f64 s':>11s} {'x numpy':>8s} {'setup s':>8s}  kernel family"]
        lines += [f"{r['family']:32s} {r['n']:7d} {r['cpu_float64_seconds']:10.4f} "
                  f"{r['n_numpy']:8d} {r['numpy_float64_seconds']:11.4f} "
                  f"{r['ratio_to_numpy']:8.1f} {r['setup_seconds']:8.2f}  {r['kernel_family']}"
                  for r in fam]
    samp = report.get("samplers")
    if isinstance(samp, list) and samp:
        lines += ["", f"{'sampler (cpu, float64)':32s} {'n':>7s} {'seconds':>10s} "
                      f"{'ns/particle-step':>17s} {'x default':>10s}"]
        lines += [f"{r['sampler']:32s} {r['n']:7d} {r['cpu_float64_seconds']:10.4f} "
                  f"{r['ns_per_particle_step']:17.1f} "
                  f"{r['cost_relative_to_exponential_integrator']:10.2f}" for r in samp]
    gen = report.get("generic_path")
    if isinstance(gen, list) and gen:
        lines += ["", f"{'Python-step path (float64)':32s} {'n':>7s} {'seconds':>10s} "
                      f"{'ns/particle-step':>17s}"]
        lines += [f"{r['path']:32s} {r['n']:7d} {r['seconds']:10.4f} "
                  f"{r['ns_per_particle_step']:17.1f}" for r in gen]
    mem = report.get("memory")
    if isinstance(mem, list) and mem:
        lines += ["", f"{'memory (cpu, fresh process)':32s} {'n':>9s} {'peak RSS MiB':>13s} "
                      f"{'imports MiB':>12s} {'loaded MiB':>11s} {'run +MiB':>9s} "
                      f"{'< 1 GiB':>8s}"]
        lines += [f"{r['dtype']:32s} {r['n']:9d} {r['peak_rss_mib']:13.0f} "
                  f"{r['after_imports_mib']:12.0f} {r['kernel_loaded_mib']:11.0f} "
                  f"{r['run_increment_mib']:9.0f} {'yes' if r['under_1_gib'] else 'NO':>8s}"
                  for r in mem]
    for key in ("score_families", "samplers", "generic_path", "memory"):
        if isinstance(report.get(key), str):
            lines.append(f"{key}: {report[key]}")
    return lines
