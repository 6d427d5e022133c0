"""CUDA kernels, imported only when backend="cuda" is used.

``numba.cuda`` is a module global here (not a closure variable) so that the CUDA simulator can
substitute its fake module inside kernels. The per-particle math comes from
``simulators.kernels._math``; this module only lays out threads: one thread per particle, its
state in ``cuda.local`` arrays of compile-time size d.
"""

from __future__ import annotations

import math
from functools import cache
from types import SimpleNamespace

import numba
import numpy as np
from numba import cuda

from diffbounds.simulators.kernels._math import build


@cache
def math_for(dtype: str) -> SimpleNamespace:
    F = np.dtype(dtype).type
    jit = cuda.jit(device=True)
    nbF = numba.float32 if F is np.float32 else numba.float64

    def _where(c, a, b):
        return a if c else b

    def _to_float(u):
        return nbF(u)

    lib = SimpleNamespace(
        U=np.uint64, F=F, jit=jit, to_float=jit(_to_float), where=jit(_where),
        log=math.log, sqrt=math.sqrt, exp=math.exp, cos=math.cos, vectorized=False,
    )
    return build(lib)


@cache
def program_kernel(family: str, dtype: str, d: int, n_params: int):
    ns = math_for(dtype)
    score_fn = ns.family(family)
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

    # Kernels take arrays, not tuples of arrays: generate a signature with n_params arrays and
    # rebuild the tuple the shared math expects.
    names = ", ".join(f"p{i}" for i in range(n_params))
    src = (f"def run(X, k0, k1, seed, coefs, {names}, particle_offset):\n"
           f"    body(X, k0, k1, seed, coefs, ({names},), particle_offset)\n")
    scope = {"body": body}
    exec(src, scope)  # noqa: S102 - a fixed template; only the arity varies
    return cuda.jit(scope["run"])


@cache
def update_kernel(dtype: str):
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


