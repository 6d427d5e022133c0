"""Claim ``steps_for_accuracy``: the smallest N at which the exact TV reaches a target ε, over d and
ε, against Theorem B.7's N = d(T + log 1/γ)²/(ε² + δ²).

Measure per grid point, grid, verdict and negative control; registered in ``claims.registry``.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike

from diffbounds import bounds
from diffbounds.claims._claim import Claim, Control, integer, positive, probability
from diffbounds.claims._dimension_common import (
    B7_KEY,
    check_dimension,
    exact_tv,
    m2_of,
    mixture_in,
    product_law,
)
from diffbounds.claims._propagation_common import _column
from diffbounds.claims.verdict import (
    ClaimRecord,
    Slope,
    ledger_check,
    line_slope_check,
    loglog_slope,
)

T_HORIZON = 8.0
T_STOP = 1e-2
# The N ladder searched: N_j = round(N_MIN·2^{j/LADDER_PER_OCTAVE}) (ratio 2^{1/8} ≈ 1.09).
N_MIN = 8
LADDER_PER_OCTAVE = 8
N_MAX = 40000
DELTA_ZERO = 1e-12
D_LINE = {True: (1, 4, 16, 64, 256), False: (1, 4, 16, 64, 256, 1024, 4096)}
TARGET_LINE = {True: (0.05, 0.07, 0.1, 0.14, 0.2), False: (0.025, 0.05, 0.1, 0.2, 0.4)}
CENTRE = {True: dict(d=16, target_tv=0.1), False: dict(d=64, target_tv=0.1)}

DOC = """Smallest N with exact TV(p̂_N, q_{t_stop}) ≤ ε, over d and ε, against Theorem B.7.

q₀ = ½N(−2e₁, ¼I_d) + ½N(1.5e₁, ¼I_d), exact score, exponential integrator from N(0, I_d),
T = 8, t_stop = γ = 1e-2, exponential schedule; the output law is exact in every d (law_nd). N is
searched on the ladder N_j = round(8·2^{j/8}) by bisection (TV decreases in N on the ladder; the
bracket's two TVs are checked on either side of ε): N* is the smallest ladder N with TV ≤ ε.
Uncertainty: the ladder gap N* − N_below plus N*·2·unc_TV/ε (a TV error u moves N* by N·u/TV to
first order, TV ∝ 1/N here), unc_TV the lattice and quadrature error at N*.
Theorem B.7 (``gupta2024.theorem_b7``, δ = 0 for the exact score, γ = t_stop):
N = d(log 1/γ + log((√d + m₂)/ε))²/ε², constant 1. Checks: (1) every point (N* + 2·unc)/B7 ≤
C[B.7], the ledger's constant (pinned from the full sweep by ``diffbounds ledger update``);
(2) d-slope of N* (ε = 0.1) ≤ the bound's own log-log slope along the line + h (log factors
included; alternative +½); (3) ε-slope (at the centre d) ≥ the bound's slope − h towards ε → 0
(alternative +½ beyond it). Measured: N* ∝ √d/ε at large d (TV ∝ √d/N for the Gaussian
factor, first-order integrator), far fewer steps than B.7's d/ε² — consistent with an upper
bound. Control: B.7 evaluated with d = 1 (a dimension-free step count): its d-exponent is
exceeded and it needs a constant far above C[B.7] at large d."""


def ladder(j: int) -> int:
    """The j-th step count of the ladder: round(N_MIN · 2^(j / LADDER_PER_OCTAVE)).

    Parameters
    ----------
    j : int
        Rung, >= 0.

    Returns
    -------
    int

    Examples
    --------
    >>> ladder(0) == N_MIN
    True
    """
    return int(round(N_MIN * 2.0 ** (j / LADDER_PER_OCTAVE)))


@functools.lru_cache(maxsize=4096)
def _tv_at(d, N, spacing):
    target = mixture_in(d).at(T_STOP)
    return product_law(d, N=N, T=T_HORIZON, t_stop=T_STOP, spacing=spacing).tv(target)


def smallest_steps(d: int, target_tv: float, spacing: float) -> tuple[int, int, float, float]:
    """Smallest ladder N whose exact TV(p̂_N, q_{t_stop}) is ≤ ``target_tv`` (bisection).

    Parameters
    ----------
    d : int
        Dimension, >= 1.
    target_tv : float
        The TV to reach, in (0, 1).
    spacing : float
        Lattice spacing of the 1-D factor.

    Returns
    -------
    (N*, N below, TV at N*, TV at N below)
        N* the smallest ladder value with TV ≤ target, N below the next smaller ladder value
        (TV > target; NaN TV when N* is the ladder's first value).

    Raises
    ------
    ValueError
        If ``target_tv`` is not in (0, 1), ``d`` is bad, or the target is not reached by
        N_MAX steps.
    """
    d = check_dimension(d)
    target_tv = float(target_tv)
    if not 0 < target_tv < 1:
        raise ValueError(f"target_tv: must be in (0, 1), got {target_tv!r}")
    j_max = int(math.floor(LADDER_PER_OCTAVE * math.log2(N_MAX / N_MIN)))
    lo, hi = 0, 1
    if _tv_at(d, ladder(0), spacing) <= target_tv:
        return ladder(0), ladder(0), _tv_at(d, ladder(0), spacing), float("nan")
    while _tv_at(d, ladder(hi), spacing) > target_tv:
        lo, hi = hi, min(2 * hi, j_max)
        if lo == j_max:
            raise ValueError(f"target_tv: {target_tv} not reached by N = {ladder(j_max)} "
                             f"steps in d = {d}")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _tv_at(d, ladder(mid), spacing) <= target_tv:
            hi = mid
        else:
            lo = mid
    return (ladder(hi), ladder(lo), _tv_at(d, ladder(hi), spacing),
            _tv_at(d, ladder(lo), spacing))


def _measure(d, target_tv, spacing, tv_shift=1.0):
    n_star, n_below, tv_star, tv_below = smallest_steps(int(d), float(target_tv) * tv_shift,
                                                        float(spacing))
    _, unc_tv = exact_tv(int(d), N=n_star, T=T_HORIZON, t_stop=T_STOP, spacing=float(spacing))
    unc = (n_star - n_below) + n_star * 2.0 * unc_tv / float(target_tv)
    return dict(steps=float(n_star), uncertainty=float(unc), steps_below=float(n_below),
                tv_at_steps=float(tv_star), tv_below=float(tv_below), uncertainty_tv=unc_tv)


def _grid(quick):
    quick = bool(quick)
    c = CENTRE[quick]
    spacing = 0.05 if quick else 0.02
    pts = [dict(d=d, target_tv=c["target_tv"]) for d in D_LINE[quick]]
    pts += [dict(d=c["d"], target_tv=e) for e in TARGET_LINE[quick] if e != c["target_tv"]]
    return [dict(p, spacing=spacing) for p in pts]


def b7_steps(d: ArrayLike, target_tv: ArrayLike, *, bound_d: int | None = None) -> np.ndarray:
    """Theorem B.7's N with δ = 0, γ = t_stop (module docstring); ``bound_d`` overrides d.

    Parameters
    ----------
    d : array_like
        Dimensions, shape (n,).
    target_tv : array_like
        ε per point, shape (n,).
    bound_d : int or None
        Evaluate the bound at this d instead (a control).

    Returns
    -------
    numpy.ndarray
        N (constant 1), float, shape (n,).
    """
    d = np.asarray(d, float)
    dd = d if bound_d is None else np.full_like(d, float(bound_d))
    m2 = np.array([m2_of(int(k)) for k in dd])
    # δ = 0 (exact score); ``evaluate`` wants positive symbols, so δ = DELTA_ZERO (moves B7
    # by < 1e-9 relative for ε ≥ 0.01).
    return np.asarray(bounds.get(B7_KEY).evaluate(d=dd, m_2=m2, gamma=T_STOP, delta=DELTA_ZERO,
                                                  epsilon=np.asarray(target_tv, float)), float)


def _verdict(points, rows, *, bound_d=None):
    d, eps = _column(points, "d"), _column(points, "target_tv")
    steps, unc = _column(rows, "steps"), _column(rows, "uncertainty")
    bound = b7_steps(d, eps, bound_d=bound_d)
    checks = [ledger_check(B7_KEY, steps, bound, uncertainty=unc, points=points,
                           claim="steps_for_accuracy")]
    c_eps = float(np.median(eps))
    counts = {k: int(np.sum(d == k)) for k in np.unique(d)}
    c_d = max(counts, key=counts.get)
    rates = []
    for name, sel, x, direction, alt in (("d", eps == c_eps, d, "to_infinity", 0.5),
                                         ("epsilon", d == c_d, eps, "to_zero", -0.5)):
        if np.unique(x[sel]).size >= 3:
            exp = loglog_slope(x[sel], bound[sel])[0]
            rates.append(line_slope_check(name, x[sel], steps[sel], exp, direction,
                                          alternative=exp + alt))
    slopes = [r for r in rates if isinstance(r, Slope)]
    return ClaimRecord(
        name="steps_for_accuracy", statements=[B7_KEY],
        params=dict(d=d, target_tv=eps, T=T_HORIZON, t_stop=T_STOP, delta=0.0, bound_d=bound_d),
        predicted=bound, measured=steps, ratio=(steps + 2 * unc) / bound, uncertainty=unc,
        slopes=slopes, checks=checks + [r.as_check() if isinstance(r, Slope) else r
                                        for r in rates],
        details=dict(tv_at_steps=_column(rows, "tv_at_steps"),
                     steps_below=_column(rows, "steps_below")))


def _claim_verdict(points, rows):
    return _verdict(points, rows)


def _dimension_free_verdict(points, rows):
    """Control: B.7 evaluated with d = 1 (a dimension-free step count)."""
    return _verdict(points, rows, bound_d=1)


# Types and ranges of the parameters, checked when a sweep file is read and before measuring.
PARAMETER_SPECS = dict(d=integer(1), target_tv=probability(), spacing=positive())
CLAIM = Claim(
    "steps_for_accuracy", (B7_KEY,),
    dict(d=1, target_tv=0.1, spacing=0.05),
    _measure, _grid, _claim_verdict, DOC,
    controls=(Control("dimension_free_bound",
                      "Theorem B.7 evaluated with d = 1 (dimension-free step count)",
                      _grid, verdict_fn=_dimension_free_verdict),),
    parameter_specs=PARAMETER_SPECS)
