"""The Numba CPU target: the shared step math compiled with ``njit``, parallel over particles.

One call advances every particle through a range of steps; each particle stays in cache for the
whole range. Results do not depend on the thread count, because the noise of (particle, step,
coordinate) is a pure function of those numbers.
"""

from __future__ import annotations

import math
from functools import cache
from types import SimpleNamespace

import numba
import numpy as np

from diffbounds.simulators.kernels._math import build

# Fast-math without 'nnan'/'ninf': reassociation, contraction (FMA) and approximate library calls
# are allowed, but NaN and infinity keep their meaning, so the finiteness checks stay valid.
_FASTMATH = {"reassoc", "contract", "arcp", "afn", "nsz"}


_QMAX = 2.0**62


def _quantize(v):
    return np.uint64(np.int64(math.floor(min(max(v, -_QMAX), _QMAX))))


def _where(c, a, b):
    return a if c else b


@cache
def math_for(dtype: str) -> SimpleNamespace:
    F = np.dtype(dtype).type
    jit = numba.njit(inline="always", fastmath=_FASTMATH)
    lib = SimpleNamespace(
        U=np.uint64,
        F=F,
        jit=jit,
        to_float=jit(lambda u: F(u)),
        where=jit(_where),
        log=math.log,
        sqrt=math.sqrt,
        exp=math.exp,
        vectorized=False,
        quantize=jit(_quantize),
    )
    return build(lib)


@cache
def _program_kernel(family: str, dtype: str):
    ns = math_for(dtype)
    score_fn = ns.family(family)
    update, seed_key, particle_key, step_key = ns.update, ns.seed_key, ns.particle_key, ns.step_key
    F, U = ns.F, ns.U

    @numba.njit(parallel=True, fastmath=_FASTMATH)
    def run(X, k0, k1, seed, coefs, P, particle_offset):
        n, d = X.shape
        skey = seed_key(U(seed))
        for i in numba.prange(n):
            x = X[i]
            out = np.empty(d, dtype=F)
            tmp = np.empty(d, dtype=F)
            pkey = particle_key(skey, U(i + particle_offset))
            for k in range(k0, k1):
                score_fn(x, out, tmp, P, k, pkey)
                update(x, out, F(coefs[k, 0]), F(coefs[k, 1]), F(coefs[k, 2]), step_key(pkey, U(k)))

    return run


@cache
def _update_kernel(dtype: str):
    ns = math_for(dtype)
    update, seed_key, particle_key, step_key = ns.update, ns.seed_key, ns.particle_key, ns.step_key
    F, U = ns.F, ns.U

    @numba.njit(parallel=True, fastmath=_FASTMATH)
    def run(X, S, k, seed, coefs, particle_offset):
        n, d = X.shape
        skey = seed_key(U(seed))
        a, b, c = F(coefs[k, 0]), F(coefs[k, 1]), F(coefs[k, 2])
        for i in numba.prange(n):
            pkey = particle_key(skey, U(i + particle_offset))
            update(X[i], S[i], a, b, c, step_key(pkey, U(k)))

    return run


def run_program(family, P, X, k0, k1, seed, coefs, particle_offset=0):
    """Advance ``X`` (n, d), in place, through steps k0..k1−1 with a kernel-evaluated score."""
    _program_kernel(family, X.dtype.name)(X, k0, k1, seed, coefs, P, particle_offset)


def run_update(X, S, k, seed, coefs, particle_offset=0):
    """One step ``X ← a X + b S + c ξ`` with scores ``S`` computed outside (generic path)."""
    S = np.ascontiguousarray(S, dtype=X.dtype)
    _update_kernel(X.dtype.name)(X, S, k, seed, coefs, particle_offset)
