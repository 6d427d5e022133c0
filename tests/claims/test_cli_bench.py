"""``diffbounds bench`` at a tiny size: the report's structure and ratios (no timing asserts)."""

import json

from diffbounds.cli import main


def test_bench_sampler_json(tmp_path, capsys):
    path = tmp_path / "b.json"
    rc = main(["bench", "--n", "200", "--steps", "5", "--repeats", "1",
               "--backends", "numpy", "cpu", "--json", str(path)])
    assert rc == 0
    report = json.loads(path.read_text())
    assert report["workload"]["n"] == 200 and report["workload"]["n_steps"] == 5
    rows = {(r["backend"], r["dtype"]): r for r in report["results"]}
    assert set(rows) == {(b, d) for b in ("numpy", "cpu") for d in ("float64", "float32")}
    assert rows["numpy", "float64"]["ratio_to_numpy"] == 1.0
    for r in rows.values():
        assert r["seconds"] > 0 and r["throughput"] == r["n"] * 8 * 5 / r["seconds"]
    assert "cpu_float32_speedup" in report["derived"]
    assert "x numpy" in capsys.readouterr().out
