"""The NumPy reference target: the shared step math vectorized over particles.

The state is held transposed, ``(d, n)``, and the lane loops of the shared math run once with the
lane index ``slice(None)`` (``lanes``), so that ``x[j, i]`` is the row of coordinate ``j`` for every
particle and each statement is one vectorized NumPy operation. This is the oracle the compiled
backends are tested against (``np.exp``/``np.log``, no compaction of the normals' tail lanes).
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace

import numpy as np

from diffbounds.simulators.kernels._math import NW, PKEY, build, is_two_stage


# uint64 arithmetic wraps by design; the unused branch of a vectorized ``where`` may divide by
# zero. Non-finite *results* are caught by the sampler's output check.
def _quiet() -> np.errstate:
    return np.errstate(over="ignore", divide="ignore", invalid="ignore")


_ALL = (slice(None),)


def _lanes(L):
    return _ALL


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
        lanes=_lanes,
        vectorized=True,
    )
    return build(lib)


def _keys(ns, seed: int, n: int, particle_offset: int) -> np.ndarray:
    particles = np.arange(particle_offset, particle_offset + n, dtype=np.uint64)
    with _quiet():
        skey = ns.seed_key(np.array([seed], dtype=np.uint64))
        return ns.particle_key(skey, particles)


def _block(ns, n, d, two_stage=False):
    """Work arrays of one block of n lanes (the NumPy target's block is every particle)."""
    F = ns.F
    d2 = d if two_stage else 0
    return dict(out=np.empty((d, n), F), tmp=np.empty((d, n), F), y=np.empty((d2, n), F),
                s2=np.empty((d2, n), F), W=np.empty((NW, n), F),
                keys=np.empty((2, n), np.uint64), J=np.empty(n, np.int64))


def run_program(family, P, X, k0, k1, seed, coefs, particle_offset=0):
    """Advance ``X`` (n, d), in place, through steps k0..k1−1 with a kernel-evaluated score.

    ``coefs`` (N, 3): the one-stage update (a, b, c) per step; (N, 7): the two-stage (Heun)
    step (``_math.make_step``)."""
    ns = math_for(X.dtype.name)
    two_stage = is_two_stage(coefs)
    step = ns.make_step(ns.family(family), two_stage)
    n, d = X.shape
    xt = np.ascontiguousarray(X.T)
    b = _block(ns, n, d, two_stage)
    b["keys"][PKEY] = _keys(ns, seed, n, particle_offset)
    with _quiet():
        for k in range(k0, k1):
            step(xt, b["out"], b["tmp"], b["y"], b["s2"], b["W"], b["keys"], b["J"], P, k,
                 coefs, n)
    X[...] = xt.T


def evaluate_family(family, P, x, k=0):
    """Score of a kernel family at step ``k`` of ``P`` for points x (n, d), in the array layout."""
    ns = math_for(np.dtype(x.dtype).name)
    xt = np.ascontiguousarray(x.T)
    n, d = x.shape
    b = _block(ns, n, d)
    with _quiet():
        ns.family(family)(xt, b["out"], b["tmp"], b["W"], P, k, n)
    return b["out"].T.copy()


def run_update(X, S, k, seed, coefs, particle_offset=0):
    """One step ``X ← a X + b S + c ξ`` with scores ``S`` (n, d) computed outside (generic path)."""
    ns = math_for(X.dtype.name)
    n, d = X.shape
    xt = np.ascontiguousarray(X.T)
    st = np.ascontiguousarray(S.T, dtype=X.dtype)
    b = _block(ns, n, d)
    b["keys"][PKEY] = _keys(ns, seed, n, particle_offset)
    with _quiet():
        ns.step_keys_into(b["keys"], k, n)
        F = ns.F
        ns.update(xt, st, F(coefs[k, 0]), F(coefs[k, 1]), F(coefs[k, 2]), b["keys"], b["W"],
                  b["J"], n)
    X[...] = xt.T


def normals(seed, n, step, d, particle_offset=0, dtype="float64"):
    """The (n, d) block of counter-based standard normals used at ``step``."""
    ns = math_for(np.dtype(dtype).name)
    pkeys = _keys(ns, seed, n, particle_offset)
    out = np.empty((d, n), dtype=dtype)
    with _quiet():
        skeys = ns.step_key(pkeys, np.uint64(step))
        for j in range(d):
            out[j] = ns.normal(skeys, np.uint64(j))
    return out.T.copy()
