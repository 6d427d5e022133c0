"""The lower-bound instances of §4 in numbers: exact scores and L2 gaps by quadrature.

Lemma 4.1: p_{1,2} = (1-eta) N(0, sigma^2) + eta N(-+R, sigma^2), eta = eps^2 sigma^2/R^2;
E_{p_1}||s_1 - s_2||^2 = eps^2/sigma^2 to leading order, TV(p_1, p_2) = eta erf(R/(sqrt2 sigma)).
Lemma 4.2: p_hat = eta N(0, sigma^2) + (1-eta) N(S, sigma^2) with s_hat(x_0) = 0; under
p* = N(0, sigma^2), s_hat - s* = w(x) S/sigma^2 with
w(x) = sigmoid(log(x_0/(S-x_0)) + S(x-x_0)/sigma^2).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import integrate, special

__all__ = [
    "lemma_4_1_scores", "lemma_4_1_l2_gap", "lemma_4_1_tv",
    "lemma_4_2_weight", "lemma_4_2_score_gap", "lemma_4_2_log_l2_error", "lemma_4_2_l2_error",
    "lemma_4_2_log_eta",
]


def _positive(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: expected a positive number, got {type(value).__name__}") from exc
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name}: must be positive and finite, got {value!r}")
    return v


def _mixture_score(x: np.ndarray, weights, means, sigma: float) -> np.ndarray:
    """Score of sum_j w_j N(mu_j, sigma^2), by log-sum-exp (stable far in the tails)."""
    x = np.asarray(x, dtype=float)[..., None]
    mu = np.asarray(means, dtype=float)
    logits = np.log(np.asarray(weights, dtype=float)) - (x - mu) ** 2 / (2 * sigma ** 2)
    logits -= logits.max(axis=-1, keepdims=True)
    w = np.exp(logits)
    w /= w.sum(axis=-1, keepdims=True)
    return np.sum(w * (-(x - mu) / sigma ** 2), axis=-1)


def _eta_41(R: float, epsilon: float, sigma: float) -> float:
    eta = epsilon ** 2 * sigma ** 2 / R ** 2
    if not eta < 1:
        raise ValueError(f"R: need R > epsilon*sigma so that eta = eps^2 sigma^2/R^2 < 1 "
                         f"(got eta = {eta:g})")
    return eta


def lemma_4_1_scores(x: ArrayLike, R: float, epsilon: float, sigma: float
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(s_1(x), s_2(x)): scores of p_1 (mass eta at -R) and p_2 (mass eta at +R), Lemma 4.1.

    Parameters
    ----------
    x : array_like
        Points, any shape, finite.
    R : float
        Distance of the far component, > 0.
    epsilon : float
        Target accuracy ε, > 0 (fixes η).
    sigma : float
        Standard deviation σ of the components, > 0.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        s_1(x) and s_2(x), the shape of ``x``.

    Raises
    ------
    TypeError, ValueError
        Non-positive or non-finite R, epsilon or sigma; non-finite x.

    Examples
    --------
    >>> s1, s2 = lemma_4_1_scores([0.0], 10.0, 0.1, 1.0)
    >>> bool(abs(s1[0] - s2[0]) < 1e-6)  # the two laws agree near 0
    True
    """
    R, epsilon, sigma = (_positive(n, v) for n, v in
                         (("R", R), ("epsilon", epsilon), ("sigma", sigma)))
    eta = _eta_41(R, epsilon, sigma)
    x = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(x)):
        raise ValueError("x: every value must be finite")
    s1 = _mixture_score(x, [1 - eta, eta], [0.0, -R], sigma)
    s2 = _mixture_score(x, [1 - eta, eta], [0.0, R], sigma)
    return s1, s2


def _windows(centres, half_width):
    """Union of the intervals [c - h, c + h], merged, as a sorted list."""
    iv = sorted((c - half_width, c + half_width) for c in centres)
    out = [list(iv[0])]
    for a, b in iv[1:]:
        if a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def lemma_4_1_l2_gap(R: float, epsilon: float, sigma: float, *, under: str = "p1") -> float:
    """E_{x~p}||s_1(x) - s_2(x)||^2 by adaptive quadrature (p = p_1 or p_2), Lemma 4.1.

    The integrand is integrated over +-40 sigma around -R, 0 and R; the mass outside is below
    exp(-800) times the squared score gap (at most (2R/sigma^2)^2).

    Parameters
    ----------
    R : float
        Distance of the far component, > 0.
    epsilon : float
        Target accuracy ε, > 0 (fixes η).
    sigma : float
        Standard deviation σ of the components, > 0.
    under : {"p1", "p2"}
        The law p of x.

    Returns
    -------
    float
        The mean squared score gap.

    Raises
    ------
    TypeError, ValueError
        Non-positive or non-finite R, epsilon or sigma; an unknown ``under``.
    """
    R, epsilon, sigma = (_positive(n, v) for n, v in
                         (("R", R), ("epsilon", epsilon), ("sigma", sigma)))
    if under not in ("p1", "p2"):
        raise ValueError(f"under: expected 'p1' or 'p2', got {under!r}")
    eta = _eta_41(R, epsilon, sigma)
    sign = -1.0 if under == "p1" else 1.0

    def integrand(x: float) -> float:
        s1, s2 = lemma_4_1_scores(np.array([x]), R, epsilon, sigma)
        dens = ((1 - eta) * math.exp(-x * x / (2 * sigma ** 2))
                + eta * math.exp(-(x - sign * R) ** 2 / (2 * sigma ** 2))) / (
            math.sqrt(2 * math.pi) * sigma)
        return dens * float(s1[0] - s2[0]) ** 2

    total = 0.0
    for a, b in _windows([-R, 0.0, R], 40 * sigma):
        pts = [c for c in (-R, 0.0, R) if a < c < b]
        val, _ = integrate.quad(integrand, a, b, points=pts or None, limit=500,
                                epsabs=0.0, epsrel=1e-10)
        total += val
    return total


def lemma_4_1_tv(R: float, epsilon: float, sigma: float) -> float:
    """TV(p_1, p_2) = eta erf(R/(sqrt(2) sigma)) <= eta (closed form; Lemma 4.1).

    Parameters
    ----------
    R : float
        Distance of the far component, > 0.
    epsilon : float
        Target accuracy ε, > 0 (fixes η).
    sigma : float
        Standard deviation σ of the components, > 0.

    Returns
    -------
    float
        TV in [0, 1].

    Raises
    ------
    TypeError, ValueError
        Non-positive or non-finite R, epsilon or sigma.

    Examples
    --------
    >>> import math  # η = ε²σ²/R² and erf(10/√2) = 1 to double precision
    >>> math.isclose(lemma_4_1_tv(10.0, 0.1, 1.0), (0.1 / 10.0) ** 2)
    True
    """
    R, epsilon, sigma = (_positive(n, v) for n, v in
                         (("R", R), ("epsilon", epsilon), ("sigma", sigma)))
    return _eta_41(R, epsilon, sigma) * math.erf(R / (math.sqrt(2) * sigma))


def _check_42(S, sigma, x_0):
    S, sigma, x_0 = (_positive(n, v) for n, v in (("S", S), ("sigma", sigma), ("x_0", x_0)))
    if not S > x_0:
        raise ValueError(f"S: Lemma 4.2 needs S > x_0 (got S = {S:g}, x_0 = {x_0:g})")
    return S, sigma, x_0


def lemma_4_2_log_eta(S: float, sigma: float, x_0: float) -> float:
    """log eta, eta fixed by s_hat(x_0) = 0 (Lemma 4.2, Figure 2 caption):
    (1-eta)/eta = x_0 e^{(S^2 - 2 S x_0)/(2 sigma^2)}/(S - x_0).

    Parameters
    ----------
    S : float
        Mean of p̂'s far component, > x_0.
    sigma : float
        σ, > 0.
    x_0 : float
        Crossover point ŝ(x_0) = 0, 0 < x_0 < S.

    Returns
    -------
    float
        log η (< 0).

    Raises
    ------
    TypeError, ValueError
        Non-positive or non-finite arguments, or S <= x_0.
    """
    S, sigma, x_0 = _check_42(S, sigma, x_0)
    lam = math.log(x_0) - math.log(S - x_0) + (S * S - 2 * S * x_0) / (2 * sigma ** 2)
    return -float(np.logaddexp(0.0, lam))


def lemma_4_2_weight(x: ArrayLike, S: float, sigma: float, x_0: float) -> np.ndarray:
    """Posterior weight w(x) of the N(S, sigma^2) component of p_hat (Lemma 4.2).

    Parameters
    ----------
    x : array_like
        Points, any shape.
    S : float
        Mean of p̂'s far component, > x_0.
    sigma : float
        σ, > 0.
    x_0 : float
        Crossover point ŝ(x_0) = 0, 0 < x_0 < S.

    Returns
    -------
    numpy.ndarray
        w(x) in [0, 1], the shape of ``x``.

    Raises
    ------
    TypeError, ValueError
        Non-positive or non-finite arguments, or S <= x_0.

    Examples
    --------
    >>> float(lemma_4_2_weight(1.0, 3.0, 1.0, 1.0))  # at x = x_0: w = x_0 / S
    0.3333333333333333
    """
    S, sigma, x_0 = _check_42(S, sigma, x_0)
    x = np.asarray(x, dtype=float)
    return special.expit(math.log(x_0 / (S - x_0)) + S * (x - x_0) / sigma ** 2)


def lemma_4_2_score_gap(x: ArrayLike, S: float, sigma: float, x_0: float) -> np.ndarray:
    """s_hat(x) - s*(x) = w(x) S / sigma^2 (Lemma 4.2; s* = -x/sigma^2).

    Parameters
    ----------
    x : array_like
        Points, any shape.
    S : float
        Mean of p̂'s far component, > x_0.
    sigma : float
        σ, > 0.
    x_0 : float
        Crossover point ŝ(x_0) = 0, 0 < x_0 < S.

    Returns
    -------
    numpy.ndarray
        The gap, the shape of ``x``.

    Raises
    ------
    TypeError, ValueError
        Non-positive or non-finite arguments, or S <= x_0.

    Examples
    --------
    >>> float(lemma_4_2_score_gap(1.0, 3.0, 1.0, 1.0))  # w(x_0) S/σ² = (1/3)·3
    1.0
    """
    S_, sigma_, _ = _check_42(S, sigma, x_0)
    return lemma_4_2_weight(x, S, sigma, x_0) * S_ / sigma_ ** 2


def lemma_4_2_log_l2_error(S: float, sigma: float, x_0: float) -> float:
    """log E_{x~N(0,sigma^2)}||s_hat - s*||^2 by quadrature, scaled to avoid underflow.

    Parameters
    ----------
    S : float
        Mean of p̂'s far component, > x_0.
    sigma : float
        σ, > 0.
    x_0 : float
        Crossover point ŝ(x_0) = 0, 0 < x_0 < S.

    Returns
    -------
    float
        The log of the mean squared score error.

    Raises
    ------
    TypeError, ValueError
        Non-positive or non-finite arguments, or S <= x_0.
    """
    S, sigma, x_0 = _check_42(S, sigma, x_0)
    a = math.log(x_0 / (S - x_0))
    k = S / sigma  # in u = x/sigma: logit = a + k (u - x_0/sigma)
    u0 = x_0 / sigma

    def log_f(u):
        u = np.asarray(u, dtype=float)
        logit = a + k * (u - u0)
        return -u * u / 2 - 0.5 * math.log(2 * math.pi) + 2 * -np.logaddexp(0.0, -logit)

    uc = u0 - a / k  # where w = 1/2
    grid = np.linspace(min(-40.0, uc - 40.0), max(40.0, uc + 40.0), 200001)
    lf = log_f(grid)
    M = float(lf.max())
    um = float(grid[lf.argmax()])
    lo, hi = float(grid[0]), float(grid[-1])
    pts = sorted({min(max(p, lo), hi) for p in (um, uc, 0.0)})
    pieces = [lo, *[p for p in pts if lo < p < hi], hi]
    total = 0.0
    for p, q in zip(pieces[:-1], pieces[1:], strict=True):
        val, _ = integrate.quad(lambda u: math.exp(float(log_f(u)) - M), p, q, limit=500,
                                epsabs=0.0, epsrel=1e-10)
        total += val
    if not total > 0:
        raise ValueError("lemma_4_2_log_l2_error: quadrature returned no mass")
    return M + math.log(total) + 2 * math.log(S / sigma ** 2)


def lemma_4_2_l2_error(S: float, sigma: float, x_0: float) -> float:
    """E_{x~N(0,sigma^2)}||s_hat - s*||^2 = (S^2/sigma^4) E[w(x)^2] (may underflow to 0.0; use
    :func:`lemma_4_2_log_l2_error` then). Leading order: S^2 Phi-bar(x_0/sigma)/sigma^4.

    Parameters
    ----------
    S : float
        Mean of p̂'s far component, > x_0.
    sigma : float
        σ, > 0.
    x_0 : float
        Crossover point ŝ(x_0) = 0, 0 < x_0 < S.

    Returns
    -------
    float
        The mean squared score error.

    Raises
    ------
    TypeError, ValueError
        Non-positive or non-finite arguments, or S <= x_0.
    """
    return math.exp(lemma_4_2_log_l2_error(S, sigma, x_0))
