"""The on-disk kernel cache (simulators/kernels/_cache.py).

Oracle: Numba's own dispatcher statistics (``stats.cache_hits`` / ``cache_misses``) in fresh
interpreters, and the file system (what was written where). A tiny generated kernel keeps the
compiles short; one slow test runs the real sampler kernel cold then warm.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from diffbounds.simulators.kernels import _cache

_TINY = textwrap.dedent("""\
    import numba

    CACHE = True


    @numba.njit(cache=CACHE)
    def twice(x):
        return 2.0 * x
    """)

_CHILD = textwrap.dedent("""\
    import json, sys
    from diffbounds.simulators.kernels import _cache
    module, cached = _cache.load_module("tiny", sys.argv[1])
    value = module.twice(3.0)
    print(json.dumps({"value": value, "cached": cached, "file": getattr(module, "__file__", None),
                      "hits": sum(module.twice.stats.cache_hits.values()),
                      "misses": sum(module.twice.stats.cache_misses.values())}))
    """)


def _run_child(env, source=_TINY):
    out = subprocess.run([sys.executable, "-c", _CHILD, source], env=env, capture_output=True,
                         text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DIFFBOUNDS_CACHE_DIR", "NUMBA_CACHE_DIR")}
    env.update(extra)
    return env


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("DIFFBOUNDS_CACHE_DIR", str(tmp_path / "own"))
    assert _cache.cache_dir() == tmp_path / "own"
    monkeypatch.setenv("DIFFBOUNDS_CACHE_DIR", "off")
    assert _cache.cache_dir() is None
    monkeypatch.delenv("DIFFBOUNDS_CACHE_DIR")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "nb"))
    assert _cache.cache_dir() == tmp_path / "nb" / "diffbounds"
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert _cache.cache_dir() == tmp_path / "xdg" / "diffbounds"


def test_second_process_loads_compiled_code_from_disk(tmp_path):
    env = _env(DIFFBOUNDS_CACHE_DIR=str(tmp_path))
    first = _run_child(env)
    second = _run_child(env)
    assert first["value"] == second["value"] == 6.0
    assert first["cached"] and first["misses"] == 1 and first["hits"] == 0
    assert second["hits"] == 1 and second["misses"] == 0
    # the generated module sits in a folder named after the code version
    assert os.path.dirname(first["file"]) == str(tmp_path / f"kernels-{_cache.code_version()}")


def test_numba_cache_dir_is_honoured(tmp_path):
    env = _env(NUMBA_CACHE_DIR=str(tmp_path / "nb"))
    _run_child(env)
    assert _run_child(env)["hits"] == 1
    assert (tmp_path / "nb" / "diffbounds").is_dir()


def test_changed_code_is_not_served_from_the_cache(tmp_path):
    env = _env(DIFFBOUNDS_CACHE_DIR=str(tmp_path))
    _run_child(env)
    changed = _run_child(env, _TINY.replace("2.0 * x", "3.0 * x"))
    assert changed["value"] == 9.0 and changed["misses"] == 1 and changed["hits"] == 0


def test_disabled_cache_compiles_in_memory(tmp_path):
    result = _run_child(_env(DIFFBOUNDS_CACHE_DIR="off"))
    assert result["value"] == 6.0 and not result["cached"] and result["file"] is None
    assert result["hits"] == 0


def test_workers_starting_at_once_all_succeed(tmp_path):
    env = _env(DIFFBOUNDS_CACHE_DIR=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, _TINY], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert all(r["value"] == 6.0 for r in results)
    files = [f for f in os.listdir(tmp_path / f"kernels-{_cache.code_version()}")
             if f.endswith(".py")]
    assert len(files) == 1  # one generated module, never a partial or duplicate
    assert _run_child(env)["hits"] == 1


@pytest.mark.slow
def test_sampler_kernel_warm_start(tmp_path):
    """The real CPU kernel: a second interpreter compiles nothing (issue 11 §2)."""
    code = textwrap.dedent("""\
        import json
        from diffbounds.simulators import GaussianMixture, sample, schedule
        from diffbounds.simulators.kernels import cpu
        mix = GaussianMixture([0.5, 0.5], [[-2.0, 0.0], [1.5, 1.0]], [0.25, 0.5])
        x = sample(mix, 100, schedule.exponential(4.0, 1e-2, 10), seed=1, backend="cpu")
        run = cpu._program_module("mixture_isotropic", "float64").run
        print(json.dumps({"x": x.tolist(), "hits": sum(run.stats.cache_hits.values())}))
        """)
    env = _env(DIFFBOUNDS_CACHE_DIR=str(tmp_path))
    outs = [json.loads(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                      capture_output=True, text=True).stdout.splitlines()[-1])
            for _ in range(2)]
    assert outs[0]["hits"] == 0 and outs[1]["hits"] == 1
    assert outs[0]["x"] == outs[1]["x"]
