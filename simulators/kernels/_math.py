"""The math of one sampler step, written once and compiled for every target.

``build(lib)`` returns the functions of a step (counter-based RNG, mixture scores, the
exponential-integrator update) closed over a small *target library* ``lib`` that supplies the
few primitives that differ between targets:

============  =================  ====================  =========================
name          NumPy reference    Numba CPU             Numba CUDA
============  =================  ====================  =========================
``jit``       identity           ``numba.njit``        ``cuda.jit(device=True)``
``F``         ``np.float32/64``  same                  same
``to_float``  ``u.astype(F)``    ``F(u)``              ``F(u)``
``where``     ``np.where``       ``a if c else b``     ``a if c else b``
``log`` ...   ``np.log`` ...     ``math.log`` ...      ``math.log`` ...
============  =================  ====================  =========================

The functions are written for *one particle*: ``x[j]`` is coordinate ``j``. On the NumPy target the
same code runs vectorized over particles by passing ``x`` as a ``(d, n)`` array, so ``x[j]`` is the
row of coordinate ``j`` for all particles (no branches, only arithmetic and ``where``). Every
constant is built with ``F`` so that float32 code never promotes to float64.

Randomness (design.md, "counter-based"): the normal for (seed, particle, step, coordinate) is a pure
function of those four integers. Keys are derived with the SplitMix64 finalizer ``mix``::

    seed_key     = mix(seed + G)
    particle_key = mix(seed_key ^ particle)
    step_key     = mix(particle_key + (step + 1) * G)
    uniform(c)   = mix(step_key + (c + 1) * G)      # the SplitMix64 stream started at step_key

with G = 0x9E3779B97F4A7C15. Coordinates 2j and 2j+1 share the Box–Muller pair j (uniforms c = 2j
and 2j+1): z_{2j} = r cos θ, z_{2j+1} = r sin θ, r = √(−2 log u₁), θ = 2π u₂. float64 uses the top
53 bits of each word, float32 the top 24 (so float32 normals equal float64 normals to float32
precision, except where u₁ < ~1e-6, i.e. |z| > 5.3, with probability < 1e-6 per pair).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB


def build(lib) -> SimpleNamespace:
    """Compile-ready step functions for one target library ``lib`` (see module docstring)."""
    U, F, jit = lib.U, lib.F, lib.jit
    to_float, where = lib.to_float, lib.where
    log, sqrt, cos, sin, exp = lib.log, lib.sqrt, lib.cos, lib.sin, lib.exp

    G, M1, M2 = U(GOLDEN), U(_M1), U(_M2)
    S30, S27, S31 = U(30), U(27), U(31)
    ONE_U = U(1)
    single = np.dtype(F) == np.float32
    SHIFT = U(40) if single else U(11)  # keep the top 24 (float32) or 53 (float64) bits
    SCALE = F(2.0**-24) if single else F(2.0**-53)
    ZERO, HALF, ONE = F(0.0), F(0.5), F(1.0)
    MINUS_TWO, TWO_PI = F(-2.0), F(2.0 * math.pi)

    # ---------------------------------------------------------------- randomness
    @jit
    def mix(z):
        """SplitMix64 finalizer: a bijection of 64-bit words with full avalanche."""
        z = (z ^ (z >> S30)) * M1
        z = (z ^ (z >> S27)) * M2
        return z ^ (z >> S31)

    @jit
    def seed_key(seed):
        return mix(seed + G)

    @jit
    def particle_key(skey, particle):
        return mix(skey ^ particle)

    @jit
    def step_key(pkey, step):
        return mix(pkey + (step + ONE_U) * G)

    @jit
    def uniform(key, c):
        """Uniform on (0, 1) (never 0 or 1): word c of the SplitMix64 stream at ``key``."""
        return (to_float(mix(key + (c + ONE_U) * G) >> SHIFT) + HALF) * SCALE

    @jit
    def normal_pair(key, j):
        """The two standard normals of Box–Muller pair j (coordinates 2j, 2j+1)."""
        c = U(2) * j
        u1 = uniform(key, c)
        u2 = uniform(key, c + ONE_U)
        r = sqrt(MINUS_TWO * log(u1))
        theta = TWO_PI * u2
        return r * cos(theta), r * sin(theta)

    # ---------------------------------------------------------------- the update
    @jit
    def update(x, s, a, b, c, skey):
        """x ← a x + b s + c ξ (a = e^h, b = 2(e^h − 1), c = √(e^{2h} − 1))."""
        d = len(x)
        for j in range(d // 2):
            z0, z1 = normal_pair(skey, U(j))
            x[2 * j] = a * x[2 * j] + b * s[2 * j] + c * z0
            x[2 * j + 1] = a * x[2 * j + 1] + b * s[2 * j + 1] + c * z1
        if d % 2 == 1:
            z0, z1 = normal_pair(skey, U(d // 2))
            x[d - 1] = a * x[d - 1] + b * s[d - 1] + c * z0

    # ---------------------------------------------------------------- mixture scores
    # Responsibilities by an online (streaming) log-sum-exp, branch-free so that it vectorizes on
    # the NumPy target: with running maximum m and running sum s of exp(logit − m),
    #   Δ = logit − m, e = exp(−|Δ|); if Δ > 0: (s, acc) ← (s e + 1, acc e + v), m ← logit
    #                                   else:    (s, acc) ← (s + e, acc + e v)
    # and the score is acc / s. One exponential per component, never exp of a positive number.

    @jit
    def _accumulate(m, s, logit):
        """Returns (scale, weight, m, s) of the streaming log-sum-exp step."""
        delta = logit - m
        e = exp(-abs(delta))
        up = delta > ZERO
        scale = where(up, e, ONE)
        w = where(up, ONE, e)
        return scale, w, where(up, logit, m), s * scale + w

    @jit
    def score_isotropic(x, out, tmp, P, k, pkey):
        """Σ_k w_k(x) (μ_k − x)/v_k, w = softmax(log c_k − ‖x − μ_k‖²/(2 v_k)).

        P = (logc, means, inv_var), each with a leading step axis.
        """
        logc, means, inv_var = P[0][k], P[1][k], P[2][k]
        K, d = means.shape
        r2 = ZERO
        for j in range(d):
            diff = means[0, j] - x[j]
            r2 = r2 + diff * diff
        m = logc[0] - HALF * inv_var[0] * r2
        s = ONE + ZERO * m
        for j in range(d):
            out[j] = inv_var[0] * (means[0, j] - x[j])
        for q in range(1, K):
            r2 = ZERO
            for j in range(d):
                diff = means[q, j] - x[j]
                r2 = r2 + diff * diff
            logit = logc[q] - HALF * inv_var[q] * r2
            scale, w, m, s = _accumulate(m, s, logit)
            wv = w * inv_var[q]
            for j in range(d):
                out[j] = out[j] * scale + wv * (means[q, j] - x[j])
        inv_s = ONE / s
        for j in range(d):
            out[j] = out[j] * inv_s

    @jit
    def score_diagonal(x, out, tmp, P, k, pkey):
        """As ``score_isotropic``, per-coordinate variances; P = (logc, means, inv_var (K, d))."""
        logc, means, inv_var = P[0][k], P[1][k], P[2][k]
        K, d = means.shape
        r2 = ZERO
        for j in range(d):
            diff = means[0, j] - x[j]
            r2 = r2 + inv_var[0, j] * diff * diff
        m = logc[0] - HALF * r2
        s = ONE + ZERO * m
        for j in range(d):
            out[j] = inv_var[0, j] * (means[0, j] - x[j])
        for q in range(1, K):
            r2 = ZERO
            for j in range(d):
                diff = means[q, j] - x[j]
                r2 = r2 + inv_var[q, j] * diff * diff
            logit = logc[q] - HALF * r2
            scale, w, m, s = _accumulate(m, s, logit)
            for j in range(d):
                out[j] = out[j] * scale + w * inv_var[q, j] * (means[q, j] - x[j])
        inv_s = ONE / s
        for j in range(d):
            out[j] = out[j] * inv_s

    @jit
    def _full_logit(x, tmp, logc, means, inv_lam, Q, q, d):
        """tmp ← Q_qᵀ (μ_q − x) (eigenbasis coordinates); returns log c_q − ½ Σ_j tmp_j²/λ_j."""
        r2 = ZERO
        for j in range(d):
            acc = ZERO * x[0]
            for i in range(d):
                acc = acc + Q[q, i, j] * (means[q, i] - x[i])
            tmp[j] = acc
            r2 = r2 + inv_lam[q, j] * acc * acc
        return logc[q] - HALF * r2

    @jit
    def _full_gradient(tmp, inv_lam, Q, q, i, d):
        """Coordinate i of Σ_q⁻¹ (μ_q − x) = Q diag(1/λ) tmp."""
        acc = ZERO * tmp[0]
        for j in range(d):
            acc = acc + Q[q, i, j] * inv_lam[q, j] * tmp[j]
        return acc

    @jit
    def score_full(x, out, tmp, P, k, pkey):
        """Full covariances Σ_q = Q diag(λ) Qᵀ: score = Σ_q w_q Q diag(1/λ) Qᵀ (μ_q − x).

        P = (logc, means, inv_lam (K, d), Q (K, d, d), time-independent).
        """
        logc, means, inv_lam, Q = P[0][k], P[1][k], P[2][k], P[3]
        K, d = means.shape
        m = _full_logit(x, tmp, logc, means, inv_lam, Q, 0, d)
        s = ONE + ZERO * m
        for i in range(d):
            out[i] = _full_gradient(tmp, inv_lam, Q, 0, i, d)
        for q in range(1, K):
            logit = _full_logit(x, tmp, logc, means, inv_lam, Q, q, d)
            scale, w, m, s = _accumulate(m, s, logit)
            for i in range(d):
                out[i] = out[i] * scale + w * _full_gradient(tmp, inv_lam, Q, q, i, d)
        inv_s = ONE / s
        for j in range(d):
            out[j] = out[j] * inv_s

    families = {
        "mixture_isotropic": score_isotropic,
        "mixture_diagonal": score_diagonal,
        "mixture_full": score_full,
    }
    return SimpleNamespace(
        mix=mix,
        seed_key=seed_key,
        particle_key=particle_key,
        step_key=step_key,
        uniform=uniform,
        normal_pair=normal_pair,
        update=update,
        families=families,
        F=F,
        U=U,
    )
