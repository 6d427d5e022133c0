"""The Numba CUDA target: the shared step math compiled with ``cuda.jit``.

One thread per particle runs a range of steps with its state in local memory (registers; a block
of one lane of the shared math's layout), so
the only global-memory traffic per step is reading the (tiny, cached) per-step parameters.
``numba.cuda`` is imported lazily, so a machine without the ``cuda`` extra imports everything
else; under ``NUMBA_ENABLE_CUDASIM=1`` the same kernels run in the CUDA simulator.
"""

from __future__ import annotations

import numpy as np

THREADS_PER_BLOCK = 128


def _cuda():
    from numba import cuda

    return cuda


def require_cuda() -> None:
    """Raise a clear error unless a CUDA device (or the CUDA simulator) is usable."""
    try:
        cuda = _cuda()
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "backend='cuda' needs numba-cuda: pip install 'diffbounds[cuda]' "
            f"(import failed: {exc})") from None
    if not cuda.is_available():
        raise RuntimeError(
            "backend='cuda': no CUDA device is available (cuda.is_available() is False). "
            "Use backend='cpu', or set NUMBA_ENABLE_CUDASIM=1 before importing numba to run the "
            "kernels in the (slow) CUDA simulator.")


def _grid(n):
    return (n + THREADS_PER_BLOCK - 1) // THREADS_PER_BLOCK, THREADS_PER_BLOCK


def to_device(X):
    return _cuda().to_device(np.ascontiguousarray(X))


def to_host(X):
    return X.copy_to_host() if hasattr(X, "copy_to_host") else np.array(X)


def run_program(family, P, X, k0, k1, seed, coefs, particle_offset=0):
    """Advance ``X`` (n, d) — a device array or a host array — through steps k0..k1−1."""
    cuda = _cuda()
    host = not hasattr(X, "copy_to_host")
    dX = to_device(X) if host else X
    from diffbounds.simulators.kernels._cuda_kernels import program_kernel
    from diffbounds.simulators.kernels._math import is_two_stage

    kernel = program_kernel(family, np.dtype(dX.dtype).name, dX.shape[1], len(P),
                            is_two_stage(coefs))
    dP = [cuda.to_device(np.ascontiguousarray(p)) for p in P]
    kernel[_grid(dX.shape[0])](dX, k0, k1, np.uint64(seed), cuda.to_device(coefs), *dP,
                               particle_offset)
    if host:
        X[...] = dX.copy_to_host()


def run_update(X, S, k, seed, coefs, particle_offset=0):
    """One step with scores ``S`` computed outside (generic path); host arrays in and out."""
    cuda = _cuda()
    dX = cuda.to_device(np.ascontiguousarray(X))
    dS = cuda.to_device(np.ascontiguousarray(S, dtype=X.dtype))
    from diffbounds.simulators.kernels._cuda_kernels import update_kernel

    update_kernel(X.dtype.name, X.shape[1])[_grid(X.shape[0])](dX, dS, k, np.uint64(seed),
                                                    cuda.to_device(coefs), particle_offset)
    X[...] = dX.copy_to_host()
