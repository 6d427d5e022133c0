"""The CPU target's own primitives (simulators.kernels.cpu).

Oracles: ``math.exp``/``math.log`` (correctly rounded to < 1 ulp in glibc) for the inlined
polynomial exponential and logarithm, checked to a few ulp over the whole range the step math
uses; the NumPy reference normals (``numpy_backend.normals``) for the compiled normals: the
central AS241 branch (85% of draws) uses the same arithmetic and must agree to 1 ulp; tail draws
differ only through ``log`` (≤ 2 ulp), so within 1e-14 relative.
"""

import math

import numba
import numpy as np
import pytest

from diffbounds.simulators.kernels import cpu
from diffbounds.simulators.kernels.numpy_backend import normals as numpy_normals


def _apply(f):
    @numba.njit
    def apply(xs):
        out = np.empty_like(xs)
        for i in range(len(xs)):
            out[i] = f(xs[i])
        return out
    return apply


# Bound: ½ ulp of the final rounding + the truncation of the Taylor polynomial (≤ 0.06 ulp in
# float64, ≤ 0.09 ulp in float32) + rounding accumulated in the Cody–Waite reduction and the
# Horner steps, which |r| ≤ ln2/2 damps geometrically (≤ ½ ulp + ½·0.35 ulp + ... < 0.9 ulp).
@pytest.mark.parametrize("dtype, lo, max_ulp", [("float64", -708.0, 1.5), ("float32", -87.0, 1.5)])
def test_polynomial_exp_within_an_ulp(dtype, lo, max_ulp):
    ns = cpu.math_for(dtype)
    x = np.concatenate([np.linspace(lo, 0.0, 100_001), -np.logspace(-12, 0, 1001)]).astype(dtype)
    got = _apply(ns.exp_poly)(x)
    want = np.array([math.exp(float(v)) for v in x])
    ulp = np.abs(got - want) / np.spacing(want.astype(dtype)).astype(np.float64)
    assert ulp.max() <= max_ulp


@pytest.mark.parametrize("dtype, max_ulp", [("float64", 2.0), ("float32", 2.5)])
def test_polynomial_log_within_a_few_ulp(dtype, max_ulp):
    ns = cpu.math_for(dtype)
    tiny = float(np.finfo(dtype).tiny)
    x = np.exp(np.linspace(math.log(tiny), 50.0, 100_001)).astype(dtype)
    x = np.concatenate([x[x >= tiny], 1.0 + np.linspace(-0.3, 0.3, 1001).astype(dtype)])
    got = _apply(ns.log_poly)(x).astype(np.float64)
    want = np.array([math.log(float(v)) for v in x])
    # absolute error in ulps of the result (|log x| ~ 0 near x = 1: use the spacing of 1 there)
    scale = np.spacing(np.maximum(np.abs(want), 1.0 if dtype == "float64" else 0.5).astype(dtype))
    assert (np.abs(got - want) / scale.astype(np.float64)).max() <= max_ulp


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_compiled_normals_equal_the_numpy_reference(dtype):
    n, d, step = 5000, 3, 17
    got = cpu.normals(9, n, step, d, particle_offset=11, dtype=dtype)
    want = numpy_normals(9, n, step, d, particle_offset=11, dtype=dtype)
    assert got.dtype == want.dtype == np.dtype(dtype)
    # The same AS241 arithmetic, but the compiled code contracts a·b + c into FMAs and NumPy
    # does not: each of the 16 Horner steps of the rational may round differently (≤ 16 eps
    # relative); tail draws also go through log, which differs by ≤ 2 ulp (halved by the sqrt).
    eps = float(np.finfo(dtype).eps)
    np.testing.assert_allclose(got, want, rtol=16 * eps, atol=16 * eps)
    # batch-size independence of the compiled draws
    part = cpu.normals(9, 700, step, d, particle_offset=11, dtype=dtype)
    assert np.array_equal(part, got[:700])


def test_vector_width_follows_the_compile_features(monkeypatch):
    from numba.core import config

    monkeypatch.setattr(config, "CPU_NAME", None)
    monkeypatch.setattr(config, "CPU_FEATURES", "+avx,+avx2,+fma,-avx512f")
    assert cpu.vector_width_bits() == 256
    monkeypatch.setattr(config, "CPU_FEATURES", "+avx,+avx2,+fma,+avx512f,+avx512dq")
    assert cpu.vector_width_bits() == 512
    monkeypatch.setenv("DIFFBOUNDS_VECTOR_BITS", "256")
    assert cpu.vector_width_bits() == 256
    monkeypatch.setattr(config, "CPU_FEATURES", "+sse2")
    assert cpu.vector_width_bits() == 128


@pytest.mark.slow
def test_kernels_use_512_bit_vectors_where_llvm_would_prefer_256(tmp_path):
    """On a CPU model whose LLVM tuning prefers 256-bit vectors (skylake-avx512), the kernels
    marked "prefer-vector-width"="512" use zmm registers (compiled, not run: any x86 host)."""
    import os
    import subprocess
    import sys

    import llvmlite.binding as ll

    features = ll.get_host_cpu_features().flatten()
    if "+avx512f" not in features.split(","):
        pytest.skip("the host has no AVX-512F: LLVM cannot emit zmm code for it")
    code = ("from diffbounds.simulators import sample, schedule, GaussianMixture\n"
            "sample(GaussianMixture([0.5, 0.5], [[0., 1], [1, 0]], [1., 1]), 300, "
            "schedule.exponential(3, 0.01, 4), backend='cpu')\n")
    counts = {}
    for bits in ("512", "256"):
        env = dict(os.environ, DIFFBOUNDS_VECTOR_BITS=bits, NUMBA_DUMP_ASSEMBLY="1",
                   DIFFBOUNDS_CACHE_DIR="off", NUMBA_CPU_NAME="skylake-avx512",
                   NUMBA_CPU_FEATURES=features)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=600, check=True).stdout
        counts[bits] = out.count("%zmm")
    assert counts["512"] > 100 and counts["256"] == 0, counts


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_parallel_and_serial_kernels_agree_bitwise(dtype):
    """Large batches run the parallel kernel, small ones the serial one (cpu._PARALLEL_MIN):
    a particle's result must not depend on which (lanes never mix)."""
    from diffbounds.simulators import GaussianMixture, sample, schedule

    times = schedule.exponential(3.0, 0.01, 12)
    mix = GaussianMixture([0.4, 0.6], [[-1.0, 0.5], [1.0, -0.5]], [0.3, 0.2])
    n = cpu._PARALLEL_MIN // (2 * 12) + 200
    big = sample(mix, n, times, seed=5, backend="cpu", dtype=dtype)
    small = sample(mix, 150, times, seed=5, backend="cpu", dtype=dtype)
    assert np.array_equal(small, big[:150])
    for name in ("pf_heun", "ancestral"):
        big = sample(mix, n, times, seed=5, backend="cpu", dtype=dtype, sampler=name)
        small = sample(mix, 150, times, seed=5, backend="cpu", dtype=dtype, sampler=name)
        assert np.array_equal(small, big[:150]), name


@pytest.mark.parametrize("cov_type", ["isotropic", "diagonal", "full"])
@pytest.mark.parametrize("d", [cpu.FUSED_MAX_D, cpu.FUSED_MAX_D + 1])
def test_fused_and_generic_dimensions_match_numpy(cov_type, d):
    """d ≤ FUSED_MAX_D compiles the dimension as a constant (fused per-lane bodies), larger d
    the lane-inner code: both against the NumPy reference at the cross-backend tolerance."""
    from diffbounds.simulators import sample, schedule
    from tests.simulators._cuda_cases import mixture

    mix = mixture(cov_type, d=d, K=3, seed=2)
    times = schedule.exponential(2.0, 0.02, 6)
    a = sample(mix, 40, times, seed=1, backend="numpy")
    b = sample(mix, 40, times, seed=1, backend="cpu")
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-10 * max(1.0, float(np.abs(a).max())))
    assert cpu.fused_dim(d) == (d if d <= cpu.FUSED_MAX_D else None)
