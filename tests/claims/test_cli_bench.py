"""``diffbounds bench`` at a tiny size: the report's structure and ratios (no timing asserts)."""

import json

import numpy as np
import pytest

from diffbounds.cli import main


def test_bench_sampler_json(tmp_path, capsys):
    path = tmp_path / "b.json"
    rc = main(["bench", "--n", "200", "--steps", "5", "--repeats", "1",
               "--backends", "numpy", "cpu", "--json", str(path),
               "--skip", "startup", "law", "verify", "families", "samplers", "memory"])
    assert rc == 0
    report = json.loads(path.read_text())
    assert report["workload"]["n"] == 200 and report["workload"]["n_steps"] == 5
    rows = {(r["backend"], r["dtype"]): r for r in report["results"]}
    backends = ("numpy", "cpu", "jax") if "jax" not in report else ("numpy", "cpu")
    assert set(rows) == {(b, d) for b in backends for d in ("float64", "float32")}
    assert rows["numpy", "float64"]["ratio_to_numpy"] == 1.0
    for r in rows.values():
        assert r["seconds"] > 0 and r["throughput"] == r["n"] * 8 * 5 / r["seconds"]
    assert "cpu_float32_speedup" in report["derived"]
    if "jax" in report:  # skipped, with the reason
        assert report["jax"].startswith("skipped: jax is not installed")
    else:
        assert "cpu_over_jax_float64" in report["derived"]
    assert report["machine"]["vector_width_bits"] in (128, 256, 512)
    assert len(report["machine"]["load_average_before"]) == 3
    assert report["machine"]["vector_width_used_bits"] in (64, 128, 256, 512)
    assert not {"score_families", "samplers", "generic_path", "memory"} & set(report)
    out = capsys.readouterr().out
    assert "x numpy" in out and "-bit vectors" in out and "-bit used by compiled code" in out


def test_jax_step_score_is_the_mixture_score():
    """The JAX benchmark implements the same step: its score equals GaussianMixture.score."""
    pytest.importorskip("jax")
    from diffbounds.benchmarks.extras import jax_score
    from diffbounds.benchmarks.sampler import standard_mixture
    from diffbounds.simulators.scores import MixtureScore

    mix = standard_mixture(dim=3, n_components=4)
    times = np.array([0.7, 0.3])
    _, (logc, means, inv_var) = MixtureScore(mix).kernel_program(times, "float64")
    import jax

    jax.config.update("jax_enable_x64", True)
    x = np.random.default_rng(0).normal(scale=3, size=(50, 3))
    got = np.asarray(jax_score(x, logc[0], means[0], inv_var[0]))
    np.testing.assert_allclose(got, mix.at(0.7).score(x), rtol=1e-10, atol=1e-10)
