"""The math of one sampler step, written once and compiled for every target.

``build(lib)`` returns the functions of a step (counter-based RNG, mixture scores, the
exponential-integrator update) closed over a small *target library* ``lib`` that supplies the
few primitives that differ between targets:

==============  =================  ====================  =========================
name            NumPy reference    Numba CPU             Numba CUDA
==============  =================  ====================  =========================
``jit``         identity           ``numba.njit``        ``cuda.jit(device=True)``
``F``           ``np.float32/64``  same                  same
``to_float``    ``u.astype(F)``    ``F(u)``              ``F(u)``
``where``       ``np.where``       ``a if c else b``     ``a if c else b``
``log`` ...     ``np.log`` ...     ``math.log`` ...      ``math.log`` ...
``cos``         ``np.cos``         ``math.cos``          ``math.cos``
``vectorized``  True               False                 False
==============  =================  ====================  =========================

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

with G = 0x9E3779B97F4A7C15, and the normal of coordinate j is Φ⁻¹(uniform(j)), computed with
Wichura's AS241 rational approximation (relative error ~1e-16, the algorithm of R's ``qnorm`` and
CPython's ``NormalDist.inv_cdf``): one uniform per normal, and 85% of normals need no
transcendental function (the central branch is a rational function). float64 uniforms use the
top 52 bits of each word (|z| ≤ 8.2), float32 the top 23 (|z| ≤ 5.3); float32 normals therefore
equal float64 normals to float32 precision except in the extreme tail.
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


def build(lib) -> SimpleNamespace:
    """Compile-ready step functions for one target library ``lib`` (see module docstring)."""
    U, F, jit = lib.U, lib.F, lib.jit
    to_float, where = lib.to_float, lib.where
    log, sqrt, exp, cos = lib.log, lib.sqrt, lib.exp, lib.cos

    G, M1, M2 = U(GOLDEN), U(_M1), U(_M2)
    S30, S27, S31 = U(30), U(27), U(31)
    ONE_U = U(1)
    single = np.dtype(F) == np.float32
    # Keep the top 23 (float32) or 52 (float64) bits m: u = (m + ½) 2^-bits = (2m + 1) 2^-(bits+1)
    # is then exactly representable, and so is 1 − u, so u ∈ (0, 1) strictly and Φ⁻¹(u) is finite.
    SHIFT = U(41) if single else U(12)
    SCALE = F(2.0**-23) if single else F(2.0**-52)
    ZERO, HALF, ONE = F(0.0), F(0.5), F(1.0)
    CUT = F(80.0) if single else F(700.0)

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
        """The standard normal of coordinate j: Φ⁻¹(uniform(key, j)) by AS241."""
        p = uniform(key, j)
        q = p - HALF
        if VECTORIZED:
            return where(abs(q) <= C425, _central(q), _tail(p, q))
        return _central(q) if abs(q) <= C425 else _tail(p, q)

    # ---------------------------------------------------------------- the update
    @jit
    def update(x, s, a, b, c, skey):
        """x ← a x + b s + c ξ (a = e^h, b = 2(e^h − 1), c = √(e^{2h} − 1))."""
        for j in range(len(x)):
            x[j] = a * x[j] + b * s[j] + c * normal(skey, U(j))

    # ---------------------------------------------------------------- mixture scores
    # Each mixture score writes s_t(x) into ``out`` and returns (m, s) with log q_t(x) = m + log s
    # (the log is taken only by callers that need the density).
    # Responsibilities by an online (streaming) log-sum-exp, branch-free so that it vectorizes on
    # the NumPy target: with running maximum m and running sum s of exp(logit − m),
    #   Δ = logit − m, e = exp(−|Δ|); if Δ > 0: (s, acc) ← (s e + 1, acc e + v), m ← logit
    #                                   else:    (s, acc) ← (s + e, acc + e v)
    # and the score is acc / s. One exponential per component, never exp of a positive number.

    @jit
    def _accumulate(m, s, logit):
        """Returns (scale, weight, m, s) of the streaming log-sum-exp step.

        exp(−|Δ|) is set to exactly 0 beyond |Δ| > CUT (80 in float32, 700 in float64), where it
        is below 1e-34 (resp. 1e-304) relative to the other weight: this never changes a result
        at working precision, and keeps subnormal numbers — ~100× slower on x86 — out of the
        arithmetic.
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
    def score_isotropic(x, out, tmp, P, k, pkey):
        """Σ_k w_k(x) (μ_k − x)/v_k, w = softmax(log c_k − ‖x − μ_k‖²/(2 v_k)).

        P = (logc, means, inv_var), each with a leading step axis.
        """
        logc, means, inv_var = P[0], P[1], P[2]
        K, d = means.shape[1], means.shape[2]
        r2 = ZERO
        for j in range(d):
            diff = means[k, 0, j] - x[j]
            r2 = r2 + diff * diff
        m = logc[k, 0] - HALF * inv_var[k, 0] * r2
        s = ONE + ZERO * m
        for j in range(d):
            out[j] = inv_var[k, 0] * (means[k, 0, j] - x[j])
        for q in range(1, K):
            r2 = ZERO
            for j in range(d):
                diff = means[k, q, j] - x[j]
                r2 = r2 + diff * diff
            logit = logc[k, q] - HALF * inv_var[k, q] * r2
            scale, w, m, s = _accumulate(m, s, logit)
            wv = w * inv_var[k, q]
            for j in range(d):
                out[j] = out[j] * scale + wv * (means[k, q, j] - x[j])
        inv_s = ONE / s
        for j in range(d):
            out[j] = out[j] * inv_s
        return m, s

    @jit
    def score_diagonal(x, out, tmp, P, k, pkey):
        """As ``score_isotropic``, per-coordinate variances; P = (logc, means, inv_var (K, d))."""
        logc, means, inv_var = P[0], P[1], P[2]
        K, d = means.shape[1], means.shape[2]
        r2 = ZERO
        for j in range(d):
            diff = means[k, 0, j] - x[j]
            r2 = r2 + inv_var[k, 0, j] * diff * diff
        m = logc[k, 0] - HALF * r2
        s = ONE + ZERO * m
        for j in range(d):
            out[j] = inv_var[k, 0, j] * (means[k, 0, j] - x[j])
        for q in range(1, K):
            r2 = ZERO
            for j in range(d):
                diff = means[k, q, j] - x[j]
                r2 = r2 + inv_var[k, q, j] * diff * diff
            logit = logc[k, q] - HALF * r2
            scale, w, m, s = _accumulate(m, s, logit)
            for j in range(d):
                out[j] = out[j] * scale + w * inv_var[k, q, j] * (means[k, q, j] - x[j])
        inv_s = ONE / s
        for j in range(d):
            out[j] = out[j] * inv_s
        return m, s

    @jit
    def _full_logit(x, tmp, logc, means, inv_lam, Q, k, q, d):
        """tmp ← Q_qᵀ (μ_q − x) (eigenbasis coordinates); returns log c_q − ½ Σ_j tmp_j²/λ_j."""
        r2 = ZERO
        for j in range(d):
            acc = ZERO * x[0]
            for i in range(d):
                acc = acc + Q[q, i, j] * (means[k, q, i] - x[i])
            tmp[j] = acc
            r2 = r2 + inv_lam[k, q, j] * acc * acc
        return logc[k, q] - HALF * r2

    @jit
    def _full_gradient(tmp, inv_lam, Q, k, q, i, d):
        """Coordinate i of Σ_q⁻¹ (μ_q − x) = Q diag(1/λ) tmp."""
        acc = ZERO * tmp[0]
        for j in range(d):
            acc = acc + Q[q, i, j] * inv_lam[k, q, j] * tmp[j]
        return acc

    @jit
    def score_full(x, out, tmp, P, k, pkey):
        """Full covariances Σ_q = Q diag(λ) Qᵀ: score = Σ_q w_q Q diag(1/λ) Qᵀ (μ_q − x).

        P = (logc, means, inv_lam (K, d), Q (K, d, d), time-independent).
        """
        logc, means, inv_lam, Q = P[0], P[1], P[2], P[3]
        K, d = means.shape[1], means.shape[2]
        m = _full_logit(x, tmp, logc, means, inv_lam, Q, k, 0, d)
        s = ONE + ZERO * m
        for i in range(d):
            out[i] = _full_gradient(tmp, inv_lam, Q, k, 0, i, d)
        for q in range(1, K):
            logit = _full_logit(x, tmp, logc, means, inv_lam, Q, k, q, d)
            scale, w, m, s = _accumulate(m, s, logit)
            for i in range(d):
                out[i] = out[i] * scale + w * _full_gradient(tmp, inv_lam, Q, k, q, i, d)
        inv_s = ONE / s
        for j in range(d):
            out[j] = out[j] * inv_s
        return m, s

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
        I2 = o + 2

        if region == "halfspace":
            @jit
            def in_region(x, logq, P, k):
                vt = P[I2]
                d = vt.shape[1] - 1
                proj = ZERO * x[0]
                for j in range(d):
                    proj = proj + vt[k, j] * x[j]
                return proj > vt[k, d]
        elif region == "tail":
            @jit
            def in_region(x, logq, P, k):
                m, s = logq
                return m + log(s) < P[I2][k]
        elif region == "none":
            @jit
            def in_region(x, logq, P, k):
                return ZERO * x[0] > ONE
        else:
            raise ValueError(f"region: unknown region {region!r}")
        return in_region

    def _make_direction(direction, o):
        I3 = o + 3

        if direction == "fixed":
            @jit
            def direction_into(x, out, tmp, P, k):
                u = P[I3]
                for j in range(len(u)):
                    tmp[j] = u[j] + ZERO * x[0]
        elif direction == "radial":
            @jit
            def direction_into(x, out, tmp, P, k):
                c = P[I3]
                for j in range(c.shape[1]):
                    tmp[j] = x[j] - c[k, j]
        elif direction == "adversarial":
            @jit
            def direction_into(x, out, tmp, P, k):
                for j in range(len(out)):
                    tmp[j] = -out[j]
        elif direction == "random":
            @jit
            def direction_into(x, out, tmp, P, k):
                R = P[I3]
                d = len(out)
                for j in range(d):
                    tmp[j] = ZERO * x[0]
                for m in range(R.shape[0]):
                    phase = R[m, 2 * d] + ZERO * x[0]
                    for j in range(d):
                        phase = phase + R[m, j] * x[j]
                    c = cos(phase)
                    for j in range(d):
                        tmp[j] = tmp[j] + R[m, d + j] * c
        else:
            raise ValueError(f"direction: unknown direction {direction!r}")
        return direction_into

    def _make_perturbed(base, region, direction):
        base_fn = families[base]
        o = N_PARAMS[base]
        I0, I1 = o, o + 1
        in_region = _make_region(region, o)
        direction_into = _make_direction(direction, o)

        @jit
        def score_perturbed(x, out, tmp, P, k, pkey):
            logq = base_fn(x, out, tmp, P, k, pkey)  # (m, s): log q_t(x) = m + log s
            direction_into(x, out, tmp, P, k)
            d = len(out)
            r2 = ZERO * x[0]
            for j in range(d):
                r2 = r2 + tmp[j] * tmp[j]
            # A zero direction (x at the centre, a zero score) falls back to the first axis.
            zero = r2 == ZERO
            nu = where(in_region(x, logq, P, k), P[I1][k], P[I0][k])
            scaled = nu / sqrt(where(zero, ONE, r2))
            out[0] = out[0] + where(zero, nu, scaled * tmp[0])
            for j in range(1, d):
                out[j] = out[j] + scaled * tmp[j]
            return logq

        return score_perturbed

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
        _central=_central,
        _tail=_tail,
        update=update,
        families=families,
        family=family,
        F=F,
        U=U,
    )
