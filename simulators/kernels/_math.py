"""The math of one sampler step, written once and compiled for every target.

``build(lib)`` returns the functions of a step (counter-based RNG, mixture scores, score
errors, the sampler updates) closed over a small *target library* ``lib`` that supplies the few
primitives that differ between targets:

==============  =================  ========================  =========================
name            NumPy reference    Numba CPU                 Numba CUDA
==============  =================  ========================  =========================
``jit``         identity           ``numba.njit``            ``cuda.jit(device=True)``
``F``           ``np.float32/64``  same                      same
``to_float``    ``u.astype(F)``    ``F(u)``                  ``F(u)``
``where``       ``np.where``       ``a if c else b``         ``a if c else b``
``lanes``       ``(slice(None),)`` ``range``                 ``range``
``exp``         ``np.exp``         inlined polynomial        ``math.exp``
``log``         ``np.log``         inlined polynomial        ``math.log``
``sqrt, cos``   ``np.sqrt`` ...    ``math.sqrt`` ...         ``math.sqrt`` ...
``vectorized``  True               False                     False
==============  =================  ========================  =========================

**Layout: a block of lanes.** Every function works on a *block* of particles ("lanes") held
coordinate-major: ``x[j, i]`` is coordinate ``j`` of lane ``i``, so a block is a ``(d, B)`` array,
and per-lane scalars (a logit, a running maximum, a uniform) live in the rows of a ``(NW, B)``
work array ``W``. The functions loop over coordinates and components outside and over lanes
*innermost*, ``for i in lanes(L): ...``:

* on the **NumPy** target ``lanes(L)`` is ``(slice(None),)``: the lane loop runs once with
  ``i = :``, so ``x[j, i]`` is the row of coordinate ``j`` for every particle and each statement
  is one vectorized NumPy operation over all particles;
* on the **Numba CPU** target ``lanes(L) = range(L)``: every innermost loop is a simple loop over
  contiguous lanes that LLVM vectorizes (AVX2/AVX-512). This is why ``exp`` and ``log`` are
  inlined branch-free polynomials there (``simulators.kernels.cpu``): a libm call in a loop
  prevents vectorization;
* on the **CUDA** target each thread holds one lane in local arrays of shape ``(d, 1)`` and
  ``lanes(1) = range(1)``.

Per-lane branches are written with ``where`` (both sides computed) except where noted. Every
constant is built with ``F`` so that float32 code never promotes to float64.

Randomness (design.md, "counter-based"): the normal for (seed, particle, step, coordinate) is a pure
function of those four integers. Keys are derived with the SplitMix64 finalizer ``mix``::

    seed_key     = mix(seed + G)
    particle_key = mix(seed_key ^ particle)
    step_key     = mix(particle_key + (step + 1) * G)
    uniform(c)   = mix(step_key + (c + 1) * G)      # the SplitMix64 stream started at step_key

with G = 0x9E3779B97F4A7C15, and the normal of coordinate j is Φ⁻¹(uniform(j)), computed with
Wichura's AS241 rational approximation (relative error ~1e-16, the algorithm of R's ``qnorm`` and
CPython's ``NormalDist.inv_cdf``): one uniform per normal, and 85% of normals need no
transcendental function (the central branch |u − ½| ≤ 0.425 is a rational function). In a block
the central rational is computed for every lane; the ~15% tail lanes are then compacted into a
contiguous list and finished in a second vectorized pass (``normals_into``). float64 uniforms use
the top 52 bits of each word (|z| ≤ 8.2), float32 the top 23 (|z| ≤ 5.3); float32 normals
therefore equal float64 normals to float32 precision except in the extreme tail.

**Sampler steps.** A compiled step is ``x ← a x + b ŝ(x, t_k) + c ξ`` (one score evaluation;
``update``) for every one-stage built-in sampler (``simulators.samplers``: the exponential
integrator, Euler–Maruyama, probability-flow Euler, DDIM, ancestral — they differ only in the
coefficients), and the two-stage ``heun_update`` for the probability-flow Heun step
(``x̃ = a₁ x + b₁ ŝ(x, t_k)``, ``x′ = a₂ x + b₂ ŝ(x, t_k) + b₃ x̃ + b₄ ŝ(x̃, t_{k+1})``).
"""


from __future__ import annotations

from types import SimpleNamespace

import numpy as np

GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB

_AS241_A = (3.3871328727963666080e0, 1.3314166789178437745e2, 1.9715909503065514427e3,
            1.3731693765509461125e4, 4.5921953931549871457e4, 6.7265770927008700853e4,
            3.3430575583588128105e4, 2.5090809287301226727e3)
_AS241_B = (1.0, 4.2313330701600911252e1, 6.8718700749205790830e2, 5.3941960214247511077e3,
            2.1213794301586595867e4, 3.9307895800092710610e4, 2.8729085735721942674e4,
            5.2264952788528545610e3)
_AS241_C = (1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0,
            3.64784832476320460504e0, 1.27045825245236838258e0, 2.41780725177450611770e-1,
            2.27238449892691845833e-2, 7.74545014278341407640e-4)
_AS241_D = (1.0, 2.05319162663775882187e0, 1.67638483018380384940e0, 6.89767334985100004550e-1,
            1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4,
            1.05075007164441684324e-9)
_AS241_E = (6.65790464350110377720e0, 5.46378491116411436990e0, 1.78482653991729133580e0,
            2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
            2.71155556874348757815e-5, 2.01033439929228813265e-7)
_AS241_F = (1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
            7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7,
            2.04426310338993978564e-15)


#: rows of the per-lane work array W (shape (NW, B))
R2, M, S, SCALE, WV, AUX, P, Z, PROJ, NU, PH, GR = range(12)
NW = 12
#: rows of the per-lane key array (uint64, shape (2, B)): particle key, step key
PKEY, SKEY = 0, 1
#: columns of a step's coefficient row: (a, b, c) one-stage; (a₁, b₁, 0, a₂, b₂, b₃, b₄) Heun
ONE_STAGE_COLUMNS, TWO_STAGE_COLUMNS = 3, 7


def is_two_stage(coefs) -> bool:
    """True for a (N, 7) two-stage (Heun) coefficient table (``make_step``)."""
    return coefs.shape[1] == TWO_STAGE_COLUMNS


def build(lib) -> SimpleNamespace:
    """Compile-ready step functions for one target library ``lib`` (see module docstring)."""
    U, F, jit = lib.U, lib.F, lib.jit
    to_float, where, lanes = lib.to_float, lib.where, lib.lanes
    log, sqrt, exp, cos = lib.log, lib.sqrt, lib.exp, lib.cos

    G, M1, M2 = U(GOLDEN), U(_M1), U(_M2)
    S30, S27, S31 = U(30), U(27), U(31)
    ONE_U = U(1)
    single = np.dtype(F) == np.float32
    # Keep the top 23 (float32) or 52 (float64) bits m: u = (m + ½) 2^-bits = (2m + 1) 2^-(bits+1)
    # is then exactly representable, and so is 1 − u, so u ∈ (0, 1) strictly and Φ⁻¹(u) is finite.
    SHIFT = U(41) if single else U(12)
    SCALE_U = F(2.0**-23) if single else F(2.0**-52)
    ZERO, HALF, ONE = F(0.0), F(0.5), F(1.0)
    CUT = F(80.0) if single else F(700.0)
    # A compile-time dimension (CPU target, small d): the per-lane bodies loop over the d
    # coordinates *inside* the lane loop, which LLVM unrolls, so the lane loop stays the
    # innermost, vectorized loop while sums over coordinates stay in registers ("fused").
    DIM = getattr(lib, "D", None)
    FUSED = DIM is not None

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
        return (to_float(mix(key + (c + ONE_U) * G) >> SHIFT) + HALF) * SCALE_U

    # Wichura (1988), AS241 (PPND16): coefficients of the three rational approximations.
    A = tuple(F(c) for c in _AS241_A)
    B = tuple(F(c) for c in _AS241_B)
    C = tuple(F(c) for c in _AS241_C)
    D = tuple(F(c) for c in _AS241_D)
    E = tuple(F(c) for c in _AS241_E)
    G8 = tuple(F(c) for c in _AS241_F)
    C425, C180625, C16, C5 = F(0.425), F(0.180625), F(1.6), F(5.0)
    VECTORIZED = lib.vectorized

    @jit
    def _horner(r, c):
        return (((((((c[7] * r + c[6]) * r + c[5]) * r + c[4]) * r + c[3]) * r + c[2]) * r
                 + c[1]) * r + c[0])

    @jit
    def _central(q):
        r = C180625 - q * q
        return q * _horner(r, A) / _horner(r, B)

    @jit
    def _tail(p, q):
        r = sqrt(-log(where(q <= ZERO, p, ONE - p)))
        near = r <= C5
        x = where(near, _horner(r - C16, C) / _horner(r - C16, D),
                  _horner(r - C5, E) / _horner(r - C5, G8))
        return where(q < ZERO, -x, x)

    @jit
    def normal(key, j):
        """The standard normal of coordinate j: Φ⁻¹(uniform(key, j)) by AS241 (one lane, or a
        vector of keys on the NumPy target)."""
        p = uniform(key, j)
        q = p - HALF
        if VECTORIZED:
            return where(abs(q) <= C425, _central(q), _tail(p, q))
        return _central(q) if abs(q) <= C425 else _tail(p, q)

    @jit
    def normals_into(keys, j, W, J, L):
        """W[Z, i] ← the normal of coordinate j for every lane (step keys ``keys[SKEY, i]``).

        The central rational runs on every lane; the tail lanes (|u − ½| > 0.425, ~15%) are
        compacted into ``J[:nt]`` (lane indices) and ``W[AUX, :nt]`` (their uniforms) with a
        branch-free append, finished in one vectorized pass, and scattered back.
        """
        if VECTORIZED:
            for i in lanes(L):
                W[Z, i] = normal(keys[SKEY, i], j)
            return
        for i in lanes(L):
            p = uniform(keys[SKEY, i], j)
            W[P, i] = p
            W[Z, i] = _central(p - HALF)
        nt = 0
        for i in lanes(L):
            p = W[P, i]
            J[nt] = i
            W[AUX, nt] = p
            nt += abs(p - HALF) > C425
        for t in range(nt):
            p = W[AUX, t]
            W[PROJ, t] = _tail(p, p - HALF)
        for t in range(nt):
            W[Z, J[t]] = W[PROJ, t]

    # ---------------------------------------------------------------- the updates
    @jit
    def update(x, s, a, b, c, keys, W, J, L):
        """x ← a x + b s + c ξ for every lane (ξ: the step's normals, coordinate j = draw j;
        skipped when c = 0). The exponential integrator has a = e^h, b = 2(e^h − 1),
        c = √(e^{2h} − 1); the other one-stage samplers differ only in (a, b, c).

        Not fused over coordinates even with a compile-time dimension: generating all d
        normals in one lane loop and compacting their tails per coordinate measured slower
        (29 against 21 ns per particle-step, d = 8, float64, one thread) than one coordinate
        at a time, whose uniforms stay in one work row."""
        d = x.shape[0]
        noisy = c != ZERO
        for j in range(d):
            if noisy:
                normals_into(keys, U(j), W, J, L)
                for i in lanes(L):
                    x[j, i] = a * x[j, i] + b * s[j, i] + c * W[Z, i]
            else:
                for i in lanes(L):
                    x[j, i] = a * x[j, i] + b * s[j, i]

    @jit
    def heun_correct(x, s1, y, s2, a2, b2, b3, b4, L):
        """x ← a₂ x + b₂ s₁ + b₃ x̃ + b₄ s₂ (the corrector of a two-stage step)."""
        d = x.shape[0]
        for j in range(d):
            for i in lanes(L):
                x[j, i] = a2 * x[j, i] + b2 * s1[j, i] + b3 * y[j, i] + b4 * s2[j, i]

    @jit
    def linear_into(y, x, s, a1, b1, L):
        """y ← a₁ x + b₁ s for every lane (the predictor x̃ of a two-stage step)."""
        d = x.shape[0]
        for j in range(d):
            for i in lanes(L):
                y[j, i] = a1 * x[j, i] + b1 * s[j, i]

    # ---------------------------------------------------------------- mixture scores
    # Each mixture score writes s_t(x) into ``out`` and leaves (W[M], W[S]) with
    # log q_t(x) = W[M] + log W[S] (the log is taken only by callers that need the density).
    # Responsibilities by an online (streaming) log-sum-exp, branch-free so that it vectorizes:
    # with running maximum m and running sum s of exp(logit − m),
    #   Δ = logit − m, e = exp(−|Δ|); if Δ > 0: (s, acc) ← (s e + 1, acc e + v), m ← logit
    #                                   else:    (s, acc) ← (s + e, acc + e v)
    # and the score is acc / s. One exponential per component, never exp of a positive number.

    @jit
    def _accumulate(m, s, logit):
        """Returns (scale, weight, m, s) of the streaming log-sum-exp step.

        exp(−|Δ|) is set to exactly 0 beyond |Δ| > CUT (80 in float32, 700 in float64), where it
        is below 1e-34 (resp. 1e-304) relative to the other weight: this never changes a result
        at working precision, and keeps subnormal numbers — ~100× slower on x86 — out of the
        arithmetic (and keeps the argument of ``exp`` in [−CUT, 0], the range the CPU target's
        polynomial exponential is built for).
        """
        delta = logit - m
        a = abs(delta)
        far = a > CUT
        e = where(far, ZERO, exp(where(far, -CUT, -a)))
        up = delta > ZERO
        scale = where(up, e, ONE)
        w = where(up, ONE, e)
        return scale, w, where(up, logit, m), s * scale + w

    @jit
    def _combine(W, L, first):
        """Fold the logit in W[AUX] into (W[M], W[S]); W[SCALE], W[WV] ← (scale, weight).

        The first component only starts the sums (its contribution to the score is written,
        not accumulated, by the caller)."""
        if first:
            for i in lanes(L):
                W[M, i] = W[AUX, i]
                W[S, i] = ONE + ZERO * W[AUX, i]
        else:
            for i in lanes(L):
                scale, w, m, s = _accumulate(W[M, i], W[S, i], W[AUX, i])
                W[M, i] = m
                W[S, i] = s
                W[SCALE, i] = scale
                W[WV, i] = w

    @jit
    def _normalise(out, W, L):
        if FUSED:
            for i in lanes(L):
                inv_s = ONE / W[S, i]
                for j in range(DIM):
                    out[j, i] = out[j, i] * inv_s
            return
        d = out.shape[0]
        for i in lanes(L):
            W[GR, i] = ONE / W[S, i]
        for j in range(d):
            for i in lanes(L):
                out[j, i] = out[j, i] * W[GR, i]

    @jit
    def _fused_isotropic(x, out, W, lq, iv, means, q, L, first):
        """One isotropic component's logit, log-sum-exp step and score term in one lane loop
        (FUSED; the same arithmetic as the lane-inner code below)."""
        if first:
            for i in lanes(L):
                r2 = ZERO * x[0, i]
                for j in range(DIM):
                    diff = means[q, j] - x[j, i]
                    r2 = r2 + diff * diff
                W[M, i] = lq - HALF * iv * r2
                W[S, i] = ONE + ZERO * r2
                for j in range(DIM):
                    out[j, i] = iv * (means[q, j] - x[j, i])
        else:
            for i in lanes(L):
                r2 = ZERO * x[0, i]
                for j in range(DIM):
                    diff = means[q, j] - x[j, i]
                    r2 = r2 + diff * diff
                scale, w, m, s = _accumulate(W[M, i], W[S, i], lq - HALF * iv * r2)
                W[M, i] = m
                W[S, i] = s
                wv = w * iv
                for j in range(DIM):
                    out[j, i] = out[j, i] * scale + wv * (means[q, j] - x[j, i])

    @jit
    def _fused_diagonal(x, out, W, lq, iv, means, q, L, first):
        """As ``_fused_isotropic`` with per-coordinate inverse variances ``iv`` (DIM,)."""
        if first:
            for i in lanes(L):
                r2 = ZERO * x[0, i]
                for j in range(DIM):
                    diff = means[q, j] - x[j, i]
                    r2 = r2 + iv[j] * diff * diff
                W[M, i] = lq - HALF * r2
                W[S, i] = ONE + ZERO * r2
                for j in range(DIM):
                    out[j, i] = iv[j] * (means[q, j] - x[j, i])
        else:
            for i in lanes(L):
                r2 = ZERO * x[0, i]
                for j in range(DIM):
                    diff = means[q, j] - x[j, i]
                    r2 = r2 + iv[j] * diff * diff
                scale, w, m, s = _accumulate(W[M, i], W[S, i], lq - HALF * r2)
                W[M, i] = m
                W[S, i] = s
                for j in range(DIM):
                    out[j, i] = out[j, i] * scale + w * iv[j] * (means[q, j] - x[j, i])

    @jit
    def score_isotropic(x, out, tmp, W, P, k, L):
        """Σ_q w_q(x) (μ_q − x)/v_q, w = softmax(log c_q − ‖x − μ_q‖²/(2 v_q)).

        P = (logc, means, inv_var), each with a leading step axis.
        """
        logc, means, inv_var = P[0][k], P[1][k], P[2][k]
        K, d = means.shape
        if FUSED:
            for q in range(K):
                _fused_isotropic(x, out, W, logc[q], inv_var[q], means, q, L, q == 0)
            _normalise(out, W, L)
            return
        for q in range(K):
            for i in lanes(L):
                W[R2, i] = ZERO * x[0, i]
            for j in range(d):
                mu = means[q, j]
                for i in lanes(L):
                    diff = mu - x[j, i]
                    W[R2, i] = W[R2, i] + diff * diff
            lq, iv = logc[q], inv_var[q]
            for i in lanes(L):
                W[AUX, i] = lq - HALF * iv * W[R2, i]
            _combine(W, L, q == 0)
            for j in range(d):
                mu = means[q, j]
                if q == 0:
                    for i in lanes(L):
                        out[j, i] = iv * (mu - x[j, i])
                else:
                    for i in lanes(L):
                        out[j, i] = out[j, i] * W[SCALE, i] + W[WV, i] * iv * (mu - x[j, i])
        _normalise(out, W, L)

    @jit
    def score_diagonal(x, out, tmp, W, P, k, L):
        """As ``score_isotropic``, per-coordinate variances; P = (logc, means, inv_var (K, d))."""
        logc, means, inv_var = P[0][k], P[1][k], P[2][k]
        K, d = means.shape
        if FUSED:
            for q in range(K):
                _fused_diagonal(x, out, W, logc[q], inv_var[q], means, q, L, q == 0)
            _normalise(out, W, L)
            return
        for q in range(K):
            for i in lanes(L):
                W[R2, i] = ZERO * x[0, i]
            for j in range(d):
                mu, iv = means[q, j], inv_var[q, j]
                for i in lanes(L):
                    diff = mu - x[j, i]
                    W[R2, i] = W[R2, i] + iv * diff * diff
            lq = logc[q]
            for i in lanes(L):
                W[AUX, i] = lq - HALF * W[R2, i]
            _combine(W, L, q == 0)
            for j in range(d):
                mu, iv = means[q, j], inv_var[q, j]
                if q == 0:
                    for i in lanes(L):
                        out[j, i] = iv * (mu - x[j, i])
                else:
                    for i in lanes(L):
                        out[j, i] = out[j, i] * W[SCALE, i] + W[WV, i] * iv * (mu - x[j, i])
        _normalise(out, W, L)

    @jit
    def score_full(x, out, tmp, W, P, k, L):
        """Full covariances Σ_q = Q diag(λ) Qᵀ: score = Σ_q w_q Q diag(1/λ) Qᵀ (μ_q − x).

        P = (logc, means, inv_lam (K, d), Q (K, d, d), time-independent). ``tmp`` holds the
        eigenbasis coordinates Q_qᵀ (μ_q − x) of the current component.
        """
        logc, means, inv_lam, Q = P[0][k], P[1][k], P[2][k], P[3]
        K, d = means.shape
        for q in range(K):
            for i in lanes(L):
                W[R2, i] = ZERO * x[0, i]
            for j in range(d):
                for i in lanes(L):
                    tmp[j, i] = ZERO * x[0, i]
                for r in range(d):
                    qrj, mu = Q[q, r, j], means[q, r]
                    for i in lanes(L):
                        tmp[j, i] = tmp[j, i] + qrj * (mu - x[r, i])
                il = inv_lam[q, j]
                for i in lanes(L):
                    W[R2, i] = W[R2, i] + il * tmp[j, i] * tmp[j, i]
            lq = logc[q]
            for i in lanes(L):
                W[AUX, i] = lq - HALF * W[R2, i]
            _combine(W, L, q == 0)
            for r in range(d):
                for i in lanes(L):
                    W[GR, i] = ZERO * x[0, i]
                for j in range(d):
                    g = Q[q, r, j] * inv_lam[q, j]
                    for i in lanes(L):
                        W[GR, i] = W[GR, i] + g * tmp[j, i]
                if q == 0:
                    for i in lanes(L):
                        out[r, i] = W[GR, i]
                else:
                    for i in lanes(L):
                        out[r, i] = out[r, i] * W[SCALE, i] + W[WV, i] * W[GR, i]
        _normalise(out, W, L)

    families = {
        "mixture_isotropic": score_isotropic,
        "mixture_diagonal": score_diagonal,
        "mixture_full": score_full,
    }
    N_PARAMS = {"mixture_isotropic": 3, "mixture_diagonal": 3, "mixture_full": 4}

    # ---------------------------------------------------------------- score errors
    # A perturbed family adds an error e(x) = ν_t(x) u(x) to a base family's exact score, where
    # ν_t = bad_t on a region A_t and eps_t elsewhere (both already divided by σ_t), and u is a
    # unit vector field. Its extra parameters follow the base family's in P:
    #   P[o] = eps_t (N,), P[o+1] = bad_t (N,), P[o+2] = region parameter, P[o+3] = direction
    # parameter, with o = the base family's parameter count. Regions: "halfspace" (A_t =
    # {⟨v, x⟩ > τ_t}; P[o+2] = (N, d+1) rows (v, τ_t)), "tail" (A_t = {log q_t(x) < ℓ_t};
    # P[o+2] = ℓ (N,)), "none" (A_t empty; P[o+2] unused). Directions: "fixed" (P[o+3] = u (d,)),
    # "radial" (u = (x − c_t)/‖x − c_t‖, P[o+3] = c (N, d)), "adversarial" (u = −s/‖s‖), and
    # "random" (u = v/‖v‖ for the smooth random field v(x) = Σ_m b_m cos(⟨ω_m, x⟩ + φ_m);
    # P[o+3] = (M, 2d+1) rows (ω_m, b_m, φ_m), drawn from the seed on the host): a fixed,
    # continuous function of x, so ``error(x, t)`` is measurable and float rounding moves it
    # only by rounding-sized amounts (no keys of quantised coordinates: those flip under
    # rounding and changed whole float32 paths).
    #
    # Rounding audit (design.md: no score may change discontinuously with float rounding): the
    # only remaining discontinuities are on null sets — the region boundaries (a hyperplane, a
    # density level set) and the zeros of the unnormalised direction fields (x = c_t, score
    # zeros, zeros of v; isolated points for d ≥ 2, points on the line for d = 1), where a
    # rounding-sized change of x can matter only within ~1 ulp of the set.
    def _make_region(region, o):
        I0, I1, I2 = o, o + 1, o + 2

        # Each writes ν_t(x) (bad_t inside the region, eps_t outside) into W[NU].
        if region == "halfspace":
            @jit
            def nu_into(x, W, P, k, L):
                vt = P[I2][k]
                d = len(vt) - 1
                for i in lanes(L):
                    W[PROJ, i] = ZERO * x[0, i]
                for j in range(d):
                    v = vt[j]
                    for i in lanes(L):
                        W[PROJ, i] = W[PROJ, i] + v * x[j, i]
                tau, eps, bad = vt[d], P[I0][k], P[I1][k]
                for i in lanes(L):
                    W[NU, i] = where(W[PROJ, i] > tau, bad, eps)
        elif region == "tail":
            @jit
            def nu_into(x, W, P, k, L):
                level, eps, bad = P[I2][k], P[I0][k], P[I1][k]
                for i in lanes(L):
                    W[NU, i] = where(W[M, i] + log(W[S, i]) < level, bad, eps)
        elif region == "none":
            @jit
            def nu_into(x, W, P, k, L):
                eps = P[I0][k]
                for i in lanes(L):
                    W[NU, i] = eps + ZERO * x[0, i]
        else:
            raise ValueError(f"region: unknown region {region!r}")
        return nu_into

    def _make_direction(direction, o):
        I3 = o + 3

        # Each writes the unnormalised direction field at x into ``tmp`` (d, lanes).
        if direction == "fixed":
            @jit
            def direction_into(x, out, tmp, W, P, k, L):
                u = P[I3]
                for j in range(len(u)):
                    uj = u[j]
                    for i in lanes(L):
                        tmp[j, i] = uj + ZERO * x[0, i]
        elif direction == "radial":
            @jit
            def direction_into(x, out, tmp, W, P, k, L):
                c = P[I3][k]
                for j in range(len(c)):
                    cj = c[j]
                    for i in lanes(L):
                        tmp[j, i] = x[j, i] - cj
        elif direction == "adversarial":
            @jit
            def direction_into(x, out, tmp, W, P, k, L):
                for j in range(out.shape[0]):
                    for i in lanes(L):
                        tmp[j, i] = -out[j, i]
        elif direction == "random":
            @jit
            def direction_into(x, out, tmp, W, P, k, L):
                R = P[I3]
                d = out.shape[0]
                for j in range(d):
                    for i in lanes(L):
                        tmp[j, i] = ZERO * x[0, i]
                for m in range(R.shape[0]):
                    phi = R[m, 2 * d]
                    for i in lanes(L):
                        W[PH, i] = phi + ZERO * x[0, i]
                    for j in range(d):
                        w = R[m, j]
                        for i in lanes(L):
                            W[PH, i] = W[PH, i] + w * x[j, i]
                    for i in lanes(L):
                        W[PH, i] = cos(W[PH, i])
                    for j in range(d):
                        b = R[m, d + j]
                        for i in lanes(L):
                            tmp[j, i] = tmp[j, i] + b * W[PH, i]
        else:
            raise ValueError(f"direction: unknown direction {direction!r}")
        return direction_into

    def _make_perturbed(base, region, direction):
        base_fn = families[base]
        o = N_PARAMS[base]
        nu_into = _make_region(region, o)
        direction_into = _make_direction(direction, o)

        @jit
        def score_perturbed(x, out, tmp, W, P, k, L):
            base_fn(x, out, tmp, W, P, k, L)  # leaves log q_t(x) = W[M] + log W[S]
            nu_into(x, W, P, k, L)
            direction_into(x, out, tmp, W, P, k, L)
            d = out.shape[0]
            for i in lanes(L):
                W[R2, i] = ZERO * x[0, i]
            for j in range(d):
                for i in lanes(L):
                    W[R2, i] = W[R2, i] + tmp[j, i] * tmp[j, i]
            # A zero direction (x at the centre, a zero score) falls back to the first axis.
            for i in lanes(L):
                r2 = W[R2, i]
                zero = r2 == ZERO
                nu = W[NU, i]
                scaled = nu / sqrt(where(zero, ONE, r2))
                W[GR, i] = scaled
                out[0, i] = out[0, i] + where(zero, nu, scaled * tmp[0, i])
            for j in range(1, d):
                for i in lanes(L):
                    out[j, i] = out[j, i] + W[GR, i] * tmp[j, i]

        return score_perturbed

    # ---------------------------------------------------------------- one sampler step
    @jit
    def step_keys_into(keys, k, L):
        """keys[SKEY, i] ← the step key of step k for every lane (from keys[PKEY, i])."""
        for i in lanes(L):
            keys[SKEY, i] = step_key(keys[PKEY, i], U(k))

    def make_step(score_fn, two_stage: bool):
        """Step k of a sampler on a block: ``coefs[k]`` = (a, b, c) for the one-stage update
        ``x ← a x + b ŝ(x, t_k) + c ξ``; (a₁, b₁, 0, a₂, b₂, b₃, b₄) for the two-stage
        (Heun) step, whose second evaluation uses the parameters of step k + 1 (t_{k+1}).
        ``y`` and ``s2`` (d, lanes) hold the predictor and its score."""
        if not two_stage:
            @jit
            def step(x, out, tmp, y, s2, W, keys, J, P, k, coefs, L):
                score_fn(x, out, tmp, W, P, k, L)
                step_keys_into(keys, k, L)
                update(x, out, F(coefs[k, 0]), F(coefs[k, 1]), F(coefs[k, 2]), keys, W, J, L)
        else:
            @jit
            def step(x, out, tmp, y, s2, W, keys, J, P, k, coefs, L):
                score_fn(x, out, tmp, W, P, k, L)
                linear_into(y, x, out, F(coefs[k, 0]), F(coefs[k, 1]), L)
                score_fn(y, s2, tmp, W, P, k + 1, L)
                heun_correct(x, out, y, s2, F(coefs[k, 3]), F(coefs[k, 4]), F(coefs[k, 5]),
                             F(coefs[k, 6]), L)
        return step

    _built = {}

    def family(key):
        """The score function of a family key: a base name, or ("perturbed", base, region, dir)."""
        if isinstance(key, str):
            return families[key]
        if key not in _built:
            kind, base, region, direction = key
            if kind != "perturbed":
                raise ValueError(f"family: unknown family {key!r}")
            _built[key] = _make_perturbed(base, region, direction)
        return _built[key]

    return SimpleNamespace(
        mix=mix,
        seed_key=seed_key,
        particle_key=particle_key,
        step_key=step_key,
        uniform=uniform,
        normal=normal,
        normals_into=normals_into,
        _central=_central,
        _tail=_tail,
        update=update,
        step_keys_into=step_keys_into,
        make_step=make_step,
        linear_into=linear_into,
        heun_correct=heun_correct,
        families=families,
        family=family,
        F=F,
        U=U,
    )
