"""Hand-derived Gaussian-target recursions of the built-in samplers (test oracle).

For a Gaussian target N(MU0, V0) the exact score is affine, ŝ(x, s) = −(x − μ_s)/v_s with
μ_s = e^{−s} MU0, v_s = e^{−2s} V0 + σ_s², so each built-in step is x′ = A x + B + c ξ. The
coefficients are derived here by hand from each update formula (not from simulators.samplers).
"""

import math

MU0, V0 = 0.7, 0.3


def _sig2(t):
    return 1.0 - math.exp(-2.0 * t)


def _marg(t, mu0=MU0, v0=V0):
    """(μ_t, v_t) of the OU marginal of N(mu0, v0)."""
    return math.exp(-t) * mu0, math.exp(-2 * t) * v0 + _sig2(t)


def affine(name, t, tn, mu0=MU0, v0=V0):
    """(A, B, c) of x′ = A x + B + c ξ for the Gaussian target, derived from each formula with
    ŝ(x, s) = −(x − μ_s)/v_s = −x/v_s + μ_s/v_s."""
    h = t - tn
    mu, v = _marg(t, mu0, v0)
    p, q = -1.0 / v, mu / v  # ŝ(x, t) = p x + q
    e = math.exp(h)
    if name == "exponential_integrator":
        b = 2.0 * (e - 1.0)
        return e + b * p, b * q, math.sqrt(e * e - 1.0)
    if name == "euler_maruyama":
        return 1.0 + h + 2.0 * h * p, 2.0 * h * q, math.sqrt(2.0 * h)
    if name == "pf_euler":
        return 1.0 + h + h * p, h * q, 0.0
    if name == "pf_heun":
        mun, vn = _marg(tn, mu0, v0)
        pn, qn = -1.0 / vn, mun / vn
        # d1 = (1 + p) x + q; x̃ = x + h d1; d2 = (1 + pn) x̃ + qn
        A1, B1 = 1.0 + p, q
        At, Bt = 1.0 + h * A1, h * B1
        A2, B2 = (1.0 + pn) * At, (1.0 + pn) * Bt + qn
        return 1.0 + 0.5 * h * (A1 + A2), 0.5 * h * (B1 + B2), 0.0
    if name == "ddim":
        st, sn = math.sqrt(_sig2(t)), math.sqrt(_sig2(tn))
        b = e * st * st - st * sn
        return e + b * p, b * q, 0.0
    if name == "ancestral":
        b = e - 1.0 / e
        c2 = (1.0 - math.exp(-2 * h)) * _sig2(tn) / _sig2(t)
        return e + b * p, b * q, math.sqrt(c2)
    raise KeyError(name)


def gaussian_recursion(name, times, m=0.0, var=1.0, mu0=MU0, v0=V0):
    """(mean, variance) of the chain's output for the target N(mu0, v0), started from
    N(m, var) (hand-derived)."""
    for k in range(len(times) - 1):
        A, B, c = affine(name, float(times[k]), float(times[k + 1]), mu0, v0)
        m, var = A * m + B, A * A * var + c * c
    return m, var


def gauss_score(x, t, mu0=MU0, v0=V0):
    mu, v = _marg(t, mu0, v0)
    return -(x - mu) / v
