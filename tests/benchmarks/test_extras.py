"""The extra rows of ``diffbounds bench`` (issue 11 §1/§6) at tiny sizes: they exist, are
finite and positive, and obey the identities that define them. No timing assertions."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from diffbounds.benchmarks import extras as ex
from diffbounds.benchmarks.sampler import format_table, run, standard_mixture
from diffbounds.simulators import GaussianMixture, schedule

TIMES = schedule.exponential(5.0, 1e-3, 4)


def _positive(*values):
    return all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in values)


def test_family_scores_are_the_stated_models():
    """Diagonal / full families keep the standard weights and means and have spectra in
    [v/2, 2v] (v = the standard variance), checked by an independent eigendecomposition; the
    full family is genuinely non-diagonal; the wrong mixture knows its truth; the fitted one is a
    MixtureFit trained at the schedule's step times."""
    from diffbounds.simulators import PerturbedScore, WrongMixtureScore
    from diffbounds.simulators.training import MixtureFit

    mix = standard_mixture(dim=3, n_components=4)
    v = 0.25
    assert ex.family_score("isotropic", mix, TIMES) is mix
    for name in ("diagonal", "full"):
        q = ex.family_score(name, mix, TIMES)
        assert isinstance(q, GaussianMixture) and q.cov_type == name
        np.testing.assert_array_equal(q.weights, mix.weights)
        np.testing.assert_array_equal(q.means, mix.means)
        lam = np.linalg.eigvalsh(q.covariance_matrices())
        assert lam.min() >= 0.5 * v * (1 - 1e-12) and lam.max() <= 2.0 * v * (1 + 1e-12)
    cov = ex.family_score("full", mix, TIMES).covariance_matrices()
    off = cov - np.einsum("kii->ki", cov)[:, :, None] * np.eye(3)
    assert np.abs(off).max() > 1e-2 * v  # rotated: not a diagonal family in disguise
    for name in ("perturbed_halfspace_adversarial", "perturbed_tail_random"):
        s = ex.family_score(name, mix, TIMES)
        assert isinstance(s, PerturbedScore)
        assert (s.region, s.direction) == tuple(name.split("_")[1:])
    w = ex.family_score("wrong_mixture", mix, TIMES)
    assert isinstance(w, WrongMixtureScore) and w.truth is mix
    assert not np.array_equal(w.mixture.means, mix.means)
    fit = ex.family_score("fitted_mixture", mix, TIMES)
    assert isinstance(fit, MixtureFit) and fit.m == ex.FIT_M
    np.testing.assert_array_equal(fit.times, TIMES[:-1])
    assert fit.n_iter.max() <= ex.FIT_MAXITER
    with pytest.raises(ValueError, match="^name: unknown score family"):
        ex.family_score("sparse", mix, TIMES)


def test_family_rows_are_positive_and_ratios_per_particle():
    mix = standard_mixture()
    rows = ex.score_family_rows(mix, TIMES, n=300, n_numpy=100, repeats=1,
                                families=("isotropic", "fitted_mixture"))
    assert [r["family"] for r in rows] == ["isotropic", "fitted_mixture"]
    for r in rows:
        assert r["kernel_family"] == "mixture_isotropic"  # the fit runs the same kernel
        assert _positive(r["cpu_float64_seconds"], r["numpy_float64_seconds"])
        assert r["setup_seconds"] >= 0 and (r["n"], r["n_numpy"]) == (300, 100)
        assert r["ratio_to_numpy"] == pytest.approx(
            (r["numpy_float64_seconds"] / 100) / (r["cpu_float64_seconds"] / 300), rel=1e-12)
    with pytest.raises(ValueError, match="^families: unknown"):
        ex.score_family_rows(mix, TIMES, n=10, n_numpy=10, repeats=1, families=("sparse",))


@pytest.mark.slow
def test_every_family_row():
    """All families (compiles the diagonal, full and perturbed kernels when the cache is cold)."""
    rows = ex.score_family_rows(standard_mixture(), TIMES, n=300, n_numpy=100, repeats=1)
    assert [r["family"] for r in rows] == list(ex.FAMILIES)
    kinds = {r["family"]: r["kernel_family"] for r in rows}
    assert kinds["diagonal"] == "mixture_diagonal" and kinds["full"] == "mixture_full"
    assert kinds["perturbed_tail_random"] == "perturbed/mixture_isotropic/tail/random"
    for r in rows:
        assert _positive(r["cpu_float64_seconds"], r["numpy_float64_seconds"],
                         r["ratio_to_numpy"])


def test_user_step_is_euler_maruyama():
    """The generic-path row's user-written step is the built-in Euler–Maruyama step: same
    formula, so the same states from the same noise (an exact identity up to rounding)."""
    from diffbounds.simulators import sample

    mix = standard_mixture(dim=2, n_components=3)
    a = sample(mix, 50, TIMES, backend="numpy", sampler=ex._user_euler_maruyama)
    b = sample(mix, 50, TIMES, backend="numpy", sampler="euler_maruyama")
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12 * max(1.0, np.abs(b).max()))


def test_sampler_and_generic_rows():
    from diffbounds.simulators.samplers import BUILTINS

    mix = standard_mixture()
    rows = ex.sampler_rows(mix, TIMES, n=300, repeats=1)
    assert [r["sampler"] for r in rows] == list(BUILTINS)
    by = {r["sampler"]: r for r in rows}
    assert by["exponential_integrator"]["cost_relative_to_exponential_integrator"] == 1.0
    for r in rows:
        n_steps = len(TIMES) - 1
        assert _positive(r["cpu_float64_seconds"], r["cost_relative_to_exponential_integrator"])
        assert r["ns_per_particle_step"] == pytest.approx(
            1e9 * r["cpu_float64_seconds"] / (300 * n_steps), rel=1e-12)
    gen = ex.generic_path_rows(mix, TIMES, n=100, repeats=1)
    assert [r["path"] for r in gen] == ["generic_builtin_step", "generic_user_step",
                                        "callable_score_compiled_update"]
    for r in gen:
        assert _positive(r["seconds"], r["ns_per_particle_step"])


def test_vector_width_used_is_within_the_isa():
    """The probe cannot report wider vectors than the CPU has (an identity of the ISA), and its
    register counts decide the width as documented."""
    got = ex.vector_width_used()
    width, counts = got["vector_width_used_bits"], got["register_counts"]
    assert width in (64, 128, 256, 512)
    assert width <= ex.machine_info()["vector_width_bits"]
    assert (width == 512) == (counts["zmm"] > 0)
    if width == 256:
        assert counts["ymm"] > 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/status (Linux)")
def test_memory_row_sees_the_state():
    """Peak RSS of a fresh process: after the high-water mark is reset, the run must add at
    least its (n, d) float64 output (32 MiB here: above glibc's largest mmap threshold, so
    fresh pages that the run touches in full)."""
    (row,) = ex.memory_rows(n=2**19, n_steps=2, dtypes=("float64",))
    assert row["hwm_reset"] is True
    assert row["state_mib"] == pytest.approx(2**19 * 8 * 8 / 2**20)
    assert row["run_increment_mib"] >= row["state_mib"]
    assert row["peak_rss_mib"] >= row["kernel_loaded_mib"] + row["state_mib"]
    assert row["under_1_gib"] == (row["peak_rss_mib"] < 1024)


def test_run_reports_and_formats_the_extras():
    report = run(n=200, n_steps=4, repeats=1, backends=["numpy", "cpu"], progress=None,
                 extras=("families", "samplers", "memory"), families=("isotropic",),
                 numpy_n=100, generic_n=50, memory_n=1000, memory_steps=2)
    assert [r["family"] for r in report["score_families"]] == ["isotropic"]
    assert report["score_families"][0]["n_numpy"] == 100
    assert len(report["samplers"]) == 6 and len(report["generic_path"]) == 3
    assert {r["n"] for r in report["generic_path"]} == {50}
    assert [r["dtype"] for r in report["memory"]] == ["float64", "float32"]
    assert report["machine"]["vector_width_used_bits"] in (64, 128, 256, 512)
    assert _positive(report["derived"]["numpy_per_particle_time_families_n_over_n"])
    table = format_table(report)
    for heading in ("score family", "sampler (cpu, float64)", "Python-step path",
                    "memory (cpu, fresh process)", "-bit used by compiled code"):
        assert heading in table
    for bad, match in ((dict(extras=("gpu",)), "^extras: unknown"),
                       (dict(families=("sparse",)), "^families: unknown"),
                       (dict(numpy_n=0), "^numpy_n: must be >= 1"),
                       (dict(generic_n=0), "^generic_n: must be >= 1")):
        with pytest.raises(ValueError, match=match):
            run(n=10, n_steps=2, progress=None, **bad)


def test_a_failing_extra_is_recorded_not_fatal(monkeypatch):
    """Long runs keep finished rows: an extra that raises becomes a 'failed: ...' entry."""
    def boom(**kw):
        raise RuntimeError("no /proc here")

    monkeypatch.setattr(ex, "memory_rows", boom)
    report = run(n=50, n_steps=2, repeats=1, backends=["cpu"], progress=None,
                 extras=("memory",))
    assert report["memory"] == "failed: RuntimeError: no /proc here"
    assert [r["backend"] for r in report["results"]] == ["cpu", "cpu"]
    assert "memory: failed: RuntimeError" in format_table(report)
