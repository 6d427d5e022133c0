"""Every CUDA kernel compiles to PTX for compute capability 9.0 without a GPU (issue 11 §5).

Oracle: the PTX text itself — it exists, targets ``sm_90``, declares the kernel entry and calls
no function it does not define (the step math is compiled into it). Needs numba-cuda with libNVVM
(``pip install 'diffbounds[cuda]'``, in the ``test`` extra); skipped with that message otherwise.
"""

import re

import numpy as np
import pytest

from tests.simulators._cuda_cases import mixture


def _nvvm_or_skip():
    pytest.importorskip("numba.cuda", reason="numba-cuda is not installed")
    from numba.cuda.cudadrv import nvvm

    try:
        nvvm.NVVM()
    except Exception as exc:  # NvvmSupportError and loader errors
        pytest.skip(f"libNVVM unavailable ({exc}); pip install 'diffbounds[cuda]'")


def _model(kind, region=None, direction=None):
    from diffbounds.simulators.score_errors import perturbed_score

    if region is None:
        from diffbounds.simulators.scores import MixtureScore

        return MixtureScore(mixture(kind, d=3, K=2, seed=1))
    direction = np.array([0.0, 1.0, 0.0]) if direction == "fixed" else direction
    return perturbed_score(mixture(kind, d=3, K=2, seed=1), eps=0.1, delta=0.1,
                           bad_magnitude=2.0, region=region, direction=direction,
                           n_calibration=2000)


def _check(ptx):
    assert ".target sm_90" in ptx
    assert re.search(r"\.entry\s+\S+", ptx)
    code = re.sub(r"//[^\n]*", "", ptx)  # drop comments (e.g. "// callseq 0")
    called = set(re.findall(r"\bcall(?:\.uni)?\s+(?:\([^)]*\),\s*)?([A-Za-z_$][\w$]*)", code))
    defined = set(re.findall(r"\.func\s+(?:\([^)]*\)\s*)?([A-Za-z_$][\w$]*)", code))
    assert called <= defined, called - defined


_CASES = ([(None, None, cov) for cov in ("isotropic", "diagonal", "full")]
          + [(r, dr, "diagonal") for r in ("halfspace", "tail", "none")
             for dr in ("random", "adversarial", "radial", "fixed")])
_QUICK = {(None, None, "isotropic", "float32"), ("halfspace", "random", "diagonal", "float64")}


@pytest.mark.parametrize("region, direction, kind, dtype", [
    pytest.param(*case, dtype, marks=() if (*case, dtype) in _QUICK else pytest.mark.slow)
    for case in _CASES for dtype in ("float32", "float64")])
def test_program_kernel_compiles_to_ptx_for_cc90(region, direction, kind, dtype):
    _nvvm_or_skip()
    from diffbounds.simulators.kernels._cuda_kernels import compile_ptx

    model = _model(kind, region, direction)
    family, params = model.kernel_program(np.array([2.0, 1.0, 0.1]), dtype)
    _check(compile_ptx(family, dtype, params, d=3, cc=(9, 0)))


def test_update_kernel_compiles_to_ptx_for_cc90():
    _nvvm_or_skip()
    from diffbounds.simulators.kernels._cuda_kernels import compile_ptx

    _check(compile_ptx(None, "float64", (), d=3, cc=(9, 0)))


@pytest.mark.parametrize("dtype", ["float64", pytest.param("float32", marks=pytest.mark.slow)])
def test_two_stage_heun_kernel_compiles_to_ptx_for_cc90(dtype):
    _nvvm_or_skip()
    from diffbounds.simulators.kernels._cuda_kernels import compile_ptx

    model = _model("isotropic")
    family, params = model.kernel_program(np.array([2.0, 1.0, 0.1, 0.05]), dtype)
    _check(compile_ptx(family, dtype, params, d=3, cc=(9, 0), two_stage=True))
