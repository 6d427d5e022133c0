"""Discretisation schedules, horizon and early-stopping time (paper-notes §2.5, §2.6).

A schedule is a decreasing float64 array of diffusion times
``times[0] = T > times[1] > ... > times[N] = t_stop`` (both ends exact); step k uses the score
at ``times[k]`` and moves to ``times[k+1]``, with step size ``h_k = times[k] - times[k+1]``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "uniform",
    "exponential",
    "step_size_kappa",
    "early_stop_time",
    "horizon",
]


def _real(name: str, value) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating)):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name}: must be finite, got {value}")
    return value


def _count(name: str, value) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected an integer, got bool")
    if isinstance(value, (numbers.Integral, np.integer)):
        value = int(value)
        if value < 1:
            raise ValueError(f"{name}: must be >= 1, got {value}")
        return value
    if isinstance(value, (numbers.Real, np.floating)):
        raise ValueError(f"{name}: must be an integer, got {value!r}")
    raise TypeError(f"{name}: expected an integer, got {type(value).__name__}")


def _check_interval(T, t_stop, n_steps) -> tuple[float, float, int]:
    T = _real("T", T)
    t_stop = _real("t_stop", t_stop)
    n_steps = _count("n_steps", n_steps)
    if t_stop <= 0:
        raise ValueError(f"t_stop: must be > 0, got {t_stop}")
    if T <= t_stop:
        raise ValueError(f"T: must be > t_stop = {t_stop}, got {T}")
    return T, t_stop, n_steps


def _strictly_decreasing(times: np.ndarray, T: float, t_stop: float, n: int) -> np.ndarray:
    """``times`` if strictly decreasing, else ValueError naming ``n_steps`` and the limit.

    float64 resolves at most about (T - t_stop) / ulp(T) distinct times in [t_stop, T]; a grid
    finer than that repeats times, which no sampler accepts.
    """
    gaps = times[:-1] - times[1:]
    if np.all(gaps > 0):
        return times
    smallest = float(np.min(gaps))
    raise ValueError(
        f"n_steps: {n} steps between t_stop = {t_stop!r} and T = {T!r} are not resolvable in "
        f"float64 (a step would be {smallest:.3g}, while float64 spacing near T is "
        f"{math.ulp(T):.3g}); use fewer steps or a wider interval")


def uniform(T: float, t_stop: float, n_steps: int) -> np.ndarray:
    """Equal steps: times[k] = T - k (T - t_stop) / N, k = 0..N; shape (N + 1,).

    Parameters
    ----------
    T : float
        Horizon (diffusion time of the first step), finite and > ``t_stop``.
    t_stop : float
        Early-stopping time (the last time), finite and > 0.
    n_steps : int
        Number of steps N >= 1.

    Returns
    -------
    numpy.ndarray
        float64, shape (N + 1,), strictly decreasing, ``times[0] == T`` and
        ``times[-1] == t_stop`` exactly.

    Raises
    ------
    TypeError, ValueError
        Wrong types or values of the arguments; ``ValueError`` naming ``n_steps`` when the
        N + 1 times are not distinct float64 numbers (the resolution limit: steps of about
        ``math.ulp(T)``).

    Examples
    --------
    >>> from diffbounds.simulators import schedule
    >>> schedule.uniform(2.0, 0.5, 3)
    array([2. , 1.5, 1. , 0.5])
    """
    T, t_stop, n = _check_interval(T, t_stop, n_steps)
    times = np.linspace(T, t_stop, n + 1)
    times[0], times[-1] = T, t_stop
    return _strictly_decreasing(times, T, t_stop, n)


def exponential(T: float, t_stop: float, n_steps: int) -> np.ndarray:
    """Benton et al. (BBDD24) shape: constant steps while times >= 1, geometric below 1.

    Construction. The linear phase covers [max(t_stop, 1), T], of length
    L = max(T, 1) - max(t_stop, 1); the geometric phase covers [t_stop, min(T, 1)], of
    log-length G = log(min(T, 1) / min(t_stop, 1)). With n_lin + n_geo = N steps,

        linear:     n_lin equal steps h = L / n_lin from T down to 1,
        geometric:  times = t_stop^{j / n_geo}, j = 0..n_geo, i.e. ratio rho = e^{-G / n_geo}.

    Then h_k <= kappa min(1, times[k+1]) with kappa = max(L / n_lin, e^{G / n_geo} - 1)
    (geometric steps have h_k / times[k+1] = 1 / rho - 1). The split is the n_lin in
    [1, N - 1] that minimises kappa (within one step of the split proportional to L and G), so
    that (L + G) / N <= kappa and kappa N / (L + G) -> 1 as N grows, i.e.
    kappa ~ (T - 1 + log(1 / t_stop)) / N when T > 1 > t_stop. T <= 1 gives an all-geometric,
    t_stop >= 1 an all-linear schedule; if both phases exist but N = 1, the one step is
    [T, t_stop]. ``step_size_kappa(times)`` returns the kappa of any schedule.

    Parameters
    ----------
    T : float
        Horizon, finite and > ``t_stop``.
    t_stop : float
        Early-stopping time, finite and > 0.
    n_steps : int
        Number of steps N >= 1.

    Returns
    -------
    numpy.ndarray
        float64, shape (N + 1,), strictly decreasing from ``T`` to ``t_stop`` (both exact).

    Raises
    ------
    TypeError, ValueError
        Wrong types or values of the arguments; ``ValueError`` naming ``n_steps`` when the
        times would not be strictly decreasing in float64 (more steps than float64 resolves
        between ``t_stop`` and ``T``).

    Examples
    --------
    >>> from diffbounds.simulators import schedule
    >>> times = schedule.exponential(3.0, 0.01, 4)
    >>> times[[0, -1]], bool(1.0 in times)
    (array([3.  , 0.01]), True)
    """
    T, t_stop, n = _check_interval(T, t_stop, n_steps)
    lin_len = max(T, 1.0) - max(t_stop, 1.0)
    geo_len = math.log(min(T, 1.0)) - math.log(min(t_stop, 1.0))
    if geo_len == 0.0 or (n == 1 and lin_len > 0.0):
        return uniform(T, t_stop, n)
    if lin_len == 0.0:
        # all geometric: times[k] = T (t_stop / T)^{k / N}
        times = T * np.exp(-geo_len * (np.arange(n + 1) / n))
        times[0], times[-1] = T, t_stop
        return _strictly_decreasing(times, T, t_stop, n)
    n_lin_candidates = np.arange(1, n)
    kappas = np.maximum(lin_len / n_lin_candidates, np.expm1(geo_len / (n - n_lin_candidates)))
    n_lin = int(n_lin_candidates[np.argmin(kappas)])
    n_geo = n - n_lin
    linear = T - lin_len * (np.arange(n_lin) / n_lin)  # T, ..., 1 + h (the 1 comes next)
    geometric = np.exp(math.log(t_stop) * (np.arange(n_geo + 1) / n_geo))  # 1, ..., t_stop
    times = np.concatenate([linear, geometric])
    times[0], times[n_lin], times[-1] = T, 1.0, t_stop
    return _strictly_decreasing(times, T, t_stop, n)


def step_size_kappa(times: ArrayLike) -> float:
    """kappa = max_k h_k / min(1, times[k+1]), the constant of the BBDD24 step-size condition.

    Parameters
    ----------
    times : array_like
        A schedule: real, shape (N + 1,) with N >= 1, finite, strictly decreasing, > 0.

    Returns
    -------
    float
        kappa (dimensionless).

    Raises
    ------
    TypeError
        ``times`` is a string or not real.
    ValueError
        ``times`` is not 1-D of length >= 2, not finite, not > 0 or not strictly decreasing.

    Examples
    --------
    >>> from diffbounds.simulators import schedule
    >>> schedule.step_size_kappa([2.0, 1.0, 0.5])
    1.0
    """
    if isinstance(times, (str, bytes)):
        raise TypeError("times: expected a 1-D array of diffusion times, got str")
    arr = np.asarray(times)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"times: expected real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"times: expected a 1-D array of length >= 2, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or arr[-1] <= 0:
        raise ValueError("times: must be finite and > 0")
    steps = arr[:-1] - arr[1:]
    if np.any(steps <= 0):
        raise ValueError("times: must be strictly decreasing")
    return float(np.max(steps / np.minimum(1.0, arr[1:])))


def early_stop_time(gamma: float, second_moment: float, dim: int) -> float:
    """t_stop = min(gamma, gamma^2 m_2^2 / d) (Theorem C.2 proof).

    Parameters
    ----------
    gamma : float
        Target W2 closeness of the early-stopped law, > 0.
    second_moment : float
        m_2^2 = E||x||^2 (e.g. ``GaussianMixture.second_moment()``), not m_2; > 0.
    dim : int
        Dimension d >= 1.

    Returns
    -------
    float
        The early-stopping time t_stop.

    Raises
    ------
    TypeError, ValueError
        Wrong types, non-finite values, ``gamma`` or ``second_moment`` <= 0, ``dim`` < 1.

    Examples
    --------
    >>> from diffbounds.simulators import schedule
    >>> schedule.early_stop_time(0.5, 2.0, 4)  # min(0.5, 0.5**2 * 2 / 4)
    0.125
    """
    gamma = _real("gamma", gamma)
    second_moment = _real("second_moment", second_moment)
    dim = _count("dim", dim)
    if gamma <= 0:
        raise ValueError(f"gamma: must be > 0, got {gamma}")
    if second_moment <= 0:
        raise ValueError(f"second_moment: must be > 0, got {second_moment}")
    return min(gamma, gamma * gamma * second_moment / dim)


def horizon(dim: int, m2: float, eps: float, delta: float) -> float:
    """T = log((sqrt(d) + m_2) / (eps + delta)) (Theorem B.7 proof).

    May be small or negative when eps + delta is large.

    Parameters
    ----------
    dim : int
        Dimension d >= 1.
    m2 : float
        m_2 = sqrt(E||x||^2), not its square; >= 0.
    eps, delta : float
        Target accuracy and failure probability, each >= 0 with eps + delta > 0.

    Returns
    -------
    float
        The horizon T (diffusion time).

    Raises
    ------
    TypeError, ValueError
        Wrong types, non-finite values, a negative ``m2``, ``eps`` or ``delta``, or
        eps + delta = 0.

    Examples
    --------
    >>> import math
    >>> from diffbounds.simulators import schedule
    >>> math.isclose(schedule.horizon(4, 1.0, 0.1, 0.2), math.log(10.0))
    True
    """
    dim = _count("dim", dim)
    m2 = _real("m2", m2)
    eps = _real("eps", eps)
    delta = _real("delta", delta)
    if m2 < 0:
        raise ValueError(f"m2: must be >= 0, got {m2}")
    if eps < 0:
        raise ValueError(f"eps: must be >= 0, got {eps}")
    if delta < 0:
        raise ValueError(f"delta: must be >= 0, got {delta}")
    if eps + delta <= 0:
        raise ValueError("eps: eps + delta must be > 0")
    return math.log((math.sqrt(dim) + m2) / (eps + delta))
