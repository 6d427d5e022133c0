"""The NumPy reference target: the shared step math vectorized over particles.

The state is held transposed, ``(d, n)``, so that ``x[j]`` in the shared math is the row of
coordinate ``j`` for every particle. This is the oracle the compiled backends are tested against.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace

import numpy as np

from diffbounds.simulators.kernels._math import build

# uint64 arithmetic wraps by design; the unused branch of a vectorized ``where`` may divide by
# zero. Non-finite *results* are caught by the sampler's output check.
_IGNORE = dict(over="ignore", divide="ignore", invalid="ignore")


@cache
def math_for(dtype: str) -> SimpleNamespace:
    F = np.dtype(dtype).type
    lib = SimpleNamespace(
        U=np.uint64,
        F=F,
        jit=lambda f: f,
        to_float=lambda u: u.astype(F),
        where=np.where,
        log=np.log,
        sqrt=np.sqrt,
        exp=np.exp,
        cos=np.cos,
        vectorized=True,
    )
    return build(lib)


def _keys(ns, seed: int, n: int, particle_offset: int) -> np.ndarray:
    particles = np.arange(particle_offset, particle_offset + n, dtype=np.uint64)
    with np.errstate(**_IGNORE):
        skey = ns.seed_key(np.array([seed], dtype=np.uint64))
        return ns.particle_key(skey, particles)


def _coef(coefs, k, F):
    return F(coefs[k, 0]), F(coefs[k, 1]), F(coefs[k, 2])


def run_program(family, P, X, k0, k1, seed, coefs, particle_offset=0):
    """Advance ``X`` (n, d), in place, through steps k0..k1−1 with a kernel-evaluated score."""
    ns = math_for(X.dtype.name)
    score_fn = ns.family(family)
    n, d = X.shape
    xt = np.ascontiguousarray(X.T)
    out = np.empty_like(xt)
    tmp = np.empty_like(xt)
    pkeys = _keys(ns, seed, n, particle_offset)
    with np.errstate(**_IGNORE):
        for k in range(k0, k1):
            score_fn(xt, out, tmp, P, k, pkeys)
            a, b, c = _coef(coefs, k, ns.F)
            ns.update(xt, out, a, b, c, ns.step_key(pkeys, np.uint64(k)))
    X[...] = xt.T


def evaluate_family(family, P, x):
    """Score of a kernel family at step 0 of ``P`` for points x (n, d), in the array layout."""
    ns = math_for(np.dtype(x.dtype).name)
    xt = np.ascontiguousarray(x.T)
    out = np.empty_like(xt)
    with np.errstate(**_IGNORE):
        ns.family(family)(xt, out, np.empty_like(xt), P, 0, None)
    return out.T.copy()


def run_update(X, S, k, seed, coefs, particle_offset=0):
    """One step ``X ← a X + b S + c ξ`` with scores ``S`` (n, d) computed outside (generic path)."""
    ns = math_for(X.dtype.name)
    n, d = X.shape
    xt = np.ascontiguousarray(X.T)
    st = np.ascontiguousarray(S.T, dtype=X.dtype)
    pkeys = _keys(ns, seed, n, particle_offset)
    with np.errstate(**_IGNORE):
        a, b, c = _coef(coefs, k, ns.F)
        ns.update(xt, st, a, b, c, ns.step_key(pkeys, np.uint64(k)))
    X[...] = xt.T


def normals(seed, n, step, d, particle_offset=0, dtype="float64"):
    """The (n, d) block of counter-based standard normals used at ``step``."""
    ns = math_for(np.dtype(dtype).name)
    pkeys = _keys(ns, seed, n, particle_offset)
    out = np.empty((d, n), dtype=dtype)
    with np.errstate(**_IGNORE):
        skeys = ns.step_key(pkeys, np.uint64(step))
        for j in range(d):
            out[j] = ns.normal(skeys, np.uint64(j))
    return out.T.copy()
