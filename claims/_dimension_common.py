"""Shared helpers of the dimension claims (issue 14 §2, §3): the collinear isotropic data law
in any d, and its exact sampler output laws (``simulators.law_nd``), shared across d.

Why one 1-D computation serves every d. For q₀ = Σ π_k N(a_k e₁, s² I_d) (means on the line
through 0 along v = e₁, one shared variance), ``law_nd``'s derivation gives the sampler's output
law as (1-D law of ⟨v, X⟩) ⊗ N(μ_N ê, V_N I_⊥). Neither factor depends on d: the 1-D factor is
the chain of the line mixture's score (plus the error, for errors along ±v on half-spaces with
normal v), and (μ_N, V_N) follow a per-coordinate recursion (μ_N = 0 here since c = 0). So
``product_law(d, ...)`` computes the law once in d = 2 with ``law_nd.output_law`` and embeds it
in ℝ^d (same line factor, same V_N); ``tests/claims/test_dimension_claims.py`` checks the
embedding against ``law_nd.output_law`` run directly in d = 64 (equal to round-off).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from diffbounds.claims._propagation_common import B6_KEY
from diffbounds.simulators import GaussianMixture, perturbed_score, schedule
from diffbounds.simulators.law_nd import ProductLaw, output_law

# The line mixture: positions a_k of the means along v = e₁, weights, shared variance s².
LINE_POSITIONS = (-2.0, 1.5)
LINE_WEIGHTS = (0.5, 0.5)
LINE_VARIANCE = 0.25
EARLY_STOP_KEY = "gupta2024.early_stop_w2"
B7_KEY = "gupta2024.theorem_b7"
__all__ = ["B6_KEY", "B7_KEY", "EARLY_STOP_KEY", "mixture_in", "m2_of", "product_law",
           "exact_tv", "check_dimension"]


def check_dimension(d) -> int:
    """d as an int ≥ 1 (ValueError naming ``d`` otherwise)."""
    if isinstance(d, bool) or not float(d).is_integer() or int(d) < 1:
        raise ValueError(f"d: must be an integer >= 1, got {d!r}")
    return int(d)


def mixture_in(d) -> GaussianMixture:
    """q₀ = ½ N(−2 e₁, ¼ I_d) + ½ N(1.5 e₁, ¼ I_d) in ℝ^d (the dimension claims' data law).

    Parameters
    ----------
    d : int ≥ 1
        Dimension.

    Returns
    -------
    GaussianMixture
        Two components, means on the line along e₁ (law_nd's collinear isotropic family).

    Raises
    ------
    ValueError
        If ``d`` is not an integer ≥ 1.
    """
    d = check_dimension(d)
    means = np.zeros((len(LINE_POSITIONS), d))
    means[:, 0] = LINE_POSITIONS
    return GaussianMixture(list(LINE_WEIGHTS), means, [LINE_VARIANCE] * len(LINE_POSITIONS))


def m2_of(d) -> float:
    """m₂ = (E‖x‖²)^{1/2} of ``mixture_in(d)`` in closed form: (Σ π_k a_k² + d s²)^{1/2}.

    Parameters
    ----------
    d : int ≥ 1

    Returns
    -------
    float
        m₂ (length units of x), the m₂ of Corollary B.6 and of the early-stopping rule.

    Raises
    ------
    ValueError
        If ``d`` is not an integer ≥ 1.
    """
    d = check_dimension(d)
    return math.sqrt(sum(w * a * a for w, a in zip(LINE_WEIGHTS, LINE_POSITIONS, strict=True))
                     + d * LINE_VARIANCE)


def _e1(d):
    v = np.zeros(d)
    v[0] = 1.0
    return v


@functools.lru_cache(maxsize=128)
def _law_d2(N, T, t_stop, spacing, eps, delta_step, bad_magnitude):
    """The output law in d = 2 (exact score when ``eps`` is None; else the half-space error of
    ``perturbed_score`` along +e₁ on {x₁ > τ_t} of per-step mass ``delta_step``)."""
    mix = mixture_in(2)
    times = schedule.exponential(T, t_stop, int(N))
    if eps is None:
        score = mix
    else:
        score = perturbed_score(mix, eps=eps, delta=delta_step, bad_magnitude=bad_magnitude,
                                region="halfspace", halfspace_normal=_e1(2), direction=_e1(2))
    return output_law(score, times, grid={"spacing": float(spacing)})


def product_law(d, *, N, T, t_stop, spacing, eps=None, delta_step=0.0,
                bad_magnitude=0.0) -> ProductLaw:
    """Exact output law in ℝ^d of the exponential integrator for ``mixture_in(d)``.

    Start N(0, I_d), exponential schedule T → t_stop with N steps; exact score (``eps`` None)
    or ``perturbed_score``'s half-space error along v = e₁ on {x₁ > τ_t} (per-step mass
    ``delta_step``, size ε/σ_t outside, ``bad_magnitude`` inside). Computed in d = 2 and
    embedded in ℝ^d (module docstring); cached per parameters.

    Parameters
    ----------
    d : int ≥ 1
    N : int
        Steps.
    T, t_stop : float
        Horizon and early-stopping time (diffusion time units), T > t_stop > 0.
    spacing : float
        Lattice spacing of the 1-D factor (``law1d.output_law``).
    eps, delta_step, bad_magnitude : float
        The score error (``eps=None``: exact score).

    Returns
    -------
    law_nd.ProductLaw
        (1-D law of x₁) ⊗ N(0, V_N I_{d−1}).

    Raises
    ------
    ValueError
        Bad ``d`` or schedule/error parameters (from ``schedule`` / ``perturbed_score``).
    """
    d = check_dimension(d)
    key = (int(N), float(T), float(t_stop), float(spacing),
           None if eps is None else float(eps), float(delta_step), float(bad_magnitude))
    law2 = _law_d2(*key)
    if d == 1:
        return ProductLaw(law2.line, np.ones(1), np.zeros(1), 1.0)
    return ProductLaw(law2.line, _e1(d), np.zeros(d), law2.perp_var)


def exact_tv(d, *, N, T, t_stop, spacing, target_time=None, **score):
    """(TV, uncertainty) of ``product_law`` against q_{target_time} (default t_stop).

    Parameters
    ----------
    d, N, T, t_stop, spacing, **score
        As ``product_law``.
    target_time : float, optional
        Time of the reference law q_t (0: q₀ itself).

    Returns
    -------
    (float, float)
        TV in [0, 1] and its uncertainty = |TV(Δ) − TV(2Δ)| (lattice error of the 1-D
        factor) + the quadrature error estimate of ``ProductLaw.tv_estimate`` (which includes
        half the lost mass).

    Raises
    ------
    ValueError
        As ``product_law``.
    """
    target = mixture_in(d).at(float(t_stop if target_time is None else target_time)) \
        if (target_time is None or target_time > 0) else mixture_in(d)
    fine = product_law(d, N=N, T=T, t_stop=t_stop, spacing=spacing, **score)
    coarse = product_law(d, N=N, T=T, t_stop=t_stop, spacing=2 * spacing, **score)
    est = fine.tv_estimate(target)
    return est.value, abs(est.value - coarse.tv_estimate(target).value) + est.error
