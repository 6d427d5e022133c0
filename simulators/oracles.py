"""Closed forms that the samplers are tested against.

For a Gaussian target q₀ = N(μ, Σ) every q_t is Gaussian, the score is linear,
s_t(y) = −Σ_t⁻¹ (y − m_t) with m_t = e^{−t} μ and Σ_t = e^{−2t} Σ + σ_t² I, so one step of the
exponential integrator, y′ = a y + b s_t(y) + c ξ, is the linear Gaussian recursion

    mean′ = A mean + b Σ_t⁻¹ m_t,   cov′ = A cov Aᵀ + c² I,   A = a I − b Σ_t⁻¹.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from diffbounds.simulators.sampler import _check_times


def _exact_step_coefficients(times) -> np.ndarray:
    """(a, b, c) per step of the reverse SDE dY = (Y + 2s) dr + √2 dB with s frozen over the step
    (its exact solution over length h: a = e^h, b = 2∫_0^h e^{h−r} dr, c² = 2∫_0^h e^{2(h−r)} dr).

    Deliberately not ``sampler.integrator_coefficients``: this module is the sampler's oracle,
    so a bug in the sampler's coefficients must not carry over (issue 9 §5).
    """
    h = np.asarray(times, dtype=np.float64)[:-1] - np.asarray(times, dtype=np.float64)[1:]
    a = np.exp(h)
    b = 2.0 * np.expm1(h)  # ∫_0^h e^{h−r} dr = e^h − 1
    c = np.sqrt(np.expm1(2.0 * h))  # 2∫_0^h e^{2(h−r)} dr = e^{2h} − 1
    return np.column_stack([a, b, c])


def gaussian_chain_moments(
    mean: ArrayLike, cov: ArrayLike, times: ArrayLike, *, init_mean: ArrayLike | None = None,
    init_cov: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and covariance of the sampler's output for the target N(mean, cov).

    The chain starts from N(init_mean, init_cov) (default N(0, I)) at ``times[0]`` and takes
    the exponential-integrator steps of the module docstring with the exact score.

    Parameters
    ----------
    mean : array_like
        Target mean μ, shape (d,) (a scalar means d = 1).
    cov : array_like
        Target covariance Σ, shape (d, d), symmetric positive definite.
    times : array_like
        A schedule (decreasing diffusion times), shape (N + 1,).
    init_mean : array_like or None
        Mean of the start law, shape (d,); None for 0.
    init_cov : array_like or None
        Covariance of the start law, shape (d, d); None for I.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The output's mean, shape (d,), and covariance, shape (d, d).

    Raises
    ------
    ValueError
        ``cov`` of the wrong shape or not symmetric positive definite, or an invalid schedule.

    Examples
    --------
    >>> from diffbounds.simulators import oracles
    >>> m, C = oracles.gaussian_chain_moments([0.0], [[1.0]], [2.0, 1.0])
    >>> m.shape, C.shape
    ((1,), (1, 1))
    >>> import math  # one step, h = 1, score −y: A = e − 2(e − 1) = 2 − e, c² = e² − 1
    >>> math.isclose(float(C[0, 0]), (2 - math.e) ** 2 + math.e ** 2 - 1)
    True
    """
    mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    d = mean.size
    cov = np.asarray(cov, dtype=np.float64)
    if cov.shape != (d, d):
        raise ValueError(f"cov: expected shape ({d}, {d}), got {cov.shape}")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=0) or np.linalg.eigvalsh(cov).min() <= 0:
        raise ValueError("cov: must be symmetric positive definite")
    times = _check_times(times)
    m = np.zeros(d) if init_mean is None else np.asarray(init_mean, dtype=np.float64).copy()
    C = np.eye(d) if init_cov is None else np.asarray(init_cov, dtype=np.float64).copy()
    coefs = _exact_step_coefficients(times)
    eye = np.eye(d)
    for k, (a, b, c) in enumerate(coefs):
        t = times[k]
        sigma_t = np.exp(-2.0 * t) * cov + (-np.expm1(-2.0 * t)) * eye
        prec = np.linalg.inv(sigma_t)
        A = a * eye - b * prec
        m = A @ m + b * prec @ (np.exp(-t) * mean)
        C = A @ C @ A.T + c * c * eye
        C = 0.5 * (C + C.T)
    return m, C


def gaussian_marginal(mean: ArrayLike, cov: ArrayLike, t: float) -> tuple[np.ndarray, np.ndarray]:
    """(mean, cov) of q_t for q₀ = N(mean, cov): (e^{−t} μ, e^{−2t} Σ + σ_t² I).

    Parameters
    ----------
    mean : array_like
        μ, shape (d,) (a scalar means d = 1).
    cov : array_like
        Σ, shape (d, d).
    t : float
        Diffusion time, finite and >= 0.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The mean of q_t, shape (d,), and its covariance, shape (d, d).

    Raises
    ------
    ValueError
        ``t`` negative or not finite.

    Examples
    --------
    >>> from diffbounds.simulators import oracles
    >>> m, C = oracles.gaussian_marginal([1.0], [[0.0]], 0.0)
    >>> m.tolist(), C.tolist()
    ([1.0], [[0.0]])
    """
    mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    cov = np.asarray(cov, dtype=np.float64)
    if t < 0 or not np.isfinite(t):
        raise ValueError(f"t: must be finite and >= 0, got {t}")
    return np.exp(-t) * mean, np.exp(-2.0 * t) * cov + (-np.expm1(-2.0 * t)) * np.eye(mean.size)
