"""The CUDA backend: same seed ⇒ same samples as the NumPy reference.

``cudasim`` tests run the kernels in the CUDA simulator in a subprocess (NUMBA_ENABLE_CUDASIM must
be set before numba is imported); ``gpu`` tests run on a real device and are skipped without one.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.simulators._cuda_cases import CASES, run_case

ROOT = Path(__file__).resolve().parents[2]


def _tolerance(name):
    # float64: identical arithmetic up to libm differences -> 1e-10; float32: round-off.
    return 1e-10 if CASES[name][1] == "float64" else 1e-4


@pytest.fixture(scope="module")
def cudasim_results(tmp_path_factory):
    pytest.importorskip("numba.cuda")
    path = tmp_path_factory.mktemp("cudasim") / "out.npz"
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "tests.simulators._cuda_cases", str(path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return dict(np.load(path))


@pytest.mark.cudasim
@pytest.mark.parametrize("name", list(CASES))
def test_cudasim_equals_numpy(cudasim_results, name):
    ref = run_case(name, "numpy")
    got = cudasim_results[name]
    assert got.dtype == ref.dtype
    np.testing.assert_allclose(got, ref, rtol=0, atol=_tolerance(name) * max(1, np.abs(ref).max()))


@pytest.mark.cudasim
def test_cudasim_independent_of_launch_grid(cudasim_results):
    np.testing.assert_array_equal(cudasim_results["iso64"], cudasim_results["iso64_grid8"])


@pytest.mark.gpu
@pytest.mark.parametrize("name", list(CASES))
def test_gpu_equals_numpy(name):
    np.testing.assert_allclose(run_case(name, "cuda"), run_case(name, "numpy"), rtol=0,
                               atol=_tolerance(name) * 10)


@pytest.mark.gpu
def test_gpu_large_run_matches_cpu_and_is_finite():
    from diffbounds.simulators import sample, schedule
    from tests.simulators._cuda_cases import mixture

    mix = mixture("isotropic", d=8, K=8)
    times = schedule.exponential(5.0, 1e-3, 200)
    a = sample(mix, 100000, times, seed=1, backend="cuda")
    b = sample(mix, 100000, times, seed=1, backend="cpu")
    assert np.all(np.isfinite(a))
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-8)
