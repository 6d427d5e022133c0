"""The Numba CUDA target: the shared step math compiled with ``cuda.jit``.

One thread per particle runs a range of steps with its state in local memory (registers), so
the only global-memory traffic per step is reading the (tiny, cached) per-step parameters.
``numba.cuda`` is imported lazily, so a machine without the ``cuda`` extra imports everything
else; under ``NUMBA_ENABLE_CUDASIM=1`` the same kernels run in the CUDA simulator.
"""

from __future__ import annotations

import math
from functools import cache
from types import SimpleNamespace

import numpy as np

from simulators.kernels._math import build

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


@cache
def math_for(dtype: str) -> SimpleNamespace:
    import numba

    cuda = _cuda()
    F = np.dtype(dtype).type
    jit = cuda.jit(device=True)
    nbF = numba.float32 if F is np.float32 else numba.float64

    def _where(c, a, b):
        return a if c else b

    def _to_float(u):
        return nbF(u)

    lib = SimpleNamespace(
        U=np.uint64, F=F, jit=jit, to_float=jit(_to_float), where=jit(_where),
        log=math.log, sqrt=math.sqrt, cos=math.cos, sin=math.sin, exp=math.exp,
    )
    return build(lib)


@cache
def _program_kernel(family: str, dtype: str, d: int, n_params: int):
    import numba

    cuda = _cuda()
    ns = math_for(dtype)
    score_fn = ns.families[family]
    update, seed_key, particle_key, step_key = ns.update, ns.seed_key, ns.particle_key, ns.step_key
    F, U = ns.F, ns.U
    nbF = numba.float32 if F is np.float32 else numba.float64
    D = d

    @cuda.jit(device=True)
    def body(X, k0, k1, seed, coefs, P, particle_offset):
        i = cuda.grid(1)
        if i >= X.shape[0]:
            return
        x = cuda.local.array(D, nbF)
        out = cuda.local.array(D, nbF)
        tmp = cuda.local.array(D, nbF)
        for j in range(D):
            x[j] = X[i, j]
        pkey = particle_key(seed_key(U(seed)), U(i + particle_offset))
        for k in range(k0, k1):
            score_fn(x, out, tmp, P, k, pkey)
            update(x, out, F(coefs[k, 0]), F(coefs[k, 1]), F(coefs[k, 2]), step_key(pkey, U(k)))
        for j in range(D):
            X[i, j] = x[j]

    # Kernels take arrays, not tuples of arrays: one signature per parameter count.
    if n_params == 3:
        @cuda.jit
        def run(X, k0, k1, seed, coefs, p0, p1, p2, particle_offset):
            body(X, k0, k1, seed, coefs, (p0, p1, p2), particle_offset)
    elif n_params == 4:
        @cuda.jit
        def run(X, k0, k1, seed, coefs, p0, p1, p2, p3, particle_offset):
            body(X, k0, k1, seed, coefs, (p0, p1, p2, p3), particle_offset)
    else:  # pragma: no cover - families have 3 or 4 parameter arrays
        raise ValueError(f"params: unsupported number of parameter arrays {n_params}")
    return run


@cache
def _update_kernel(dtype: str):
    cuda = _cuda()
    ns = math_for(dtype)
    update, seed_key, particle_key, step_key = ns.update, ns.seed_key, ns.particle_key, ns.step_key
    F, U = ns.F, ns.U

    @cuda.jit
    def run(X, S, k, seed, coefs, particle_offset):
        i = cuda.grid(1)
        if i < X.shape[0]:
            pkey = particle_key(seed_key(U(seed)), U(i + particle_offset))
            update(X[i], S[i], F(coefs[k, 0]), F(coefs[k, 1]), F(coefs[k, 2]),
                   step_key(pkey, U(k)))

    return run


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
    kernel = _program_kernel(family, np.dtype(dX.dtype).name, dX.shape[1], len(P))
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
    _update_kernel(X.dtype.name)[_grid(X.shape[0])](dX, dS, k, np.uint64(seed),
                                                    cuda.to_device(coefs), particle_offset)
    X[...] = dX.copy_to_host()
