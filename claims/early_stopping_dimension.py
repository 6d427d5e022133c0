"""Claim ``early_stopping_dimension``: exact W2(q₀, q_{t_stop}) over d and γ with
t_stop = min(γ, γ²m₂²/d), against γ·m₂ and the early-stopping W2 bound.

Measure per grid point, grid, verdict and negative control; registered in ``claims.registry``.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from diffbounds import bounds
from diffbounds.claims._claim import Claim, Control, integer, probability
from diffbounds.claims._dimension_common import (
    EARLY_STOP_KEY,
    LINE_VARIANCE,
    check_dimension,
    m2_of,
    mixture_in,
)
from diffbounds.claims._propagation_common import _column
from diffbounds.claims.verdict import (
    ClaimRecord,
    Slope,
    ledger_check,
    line_slope_check,
    loglog_slope,
)
from diffbounds.simulators.law1d import GridLaw

D_LINE = {True: (100, 300, 1000, 3000, 10000), False: (1, 3, 10, 30, 100, 300, 1000, 3000, 10000)}
GAMMA_LINE = {True: (0.01, 0.02, 0.05, 0.1, 0.2),
              False: (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)}
CENTRE = dict(d=100, gamma=0.1)
# The d-slope uses d >= D_SLOPE_MIN only: below it m₂²/d = (3.125 + d/4)/d changes with d, so
# t_stop, W2 and the bound are not powers of d there (measured: the slope over d = 1 … 10⁴ has
# half-width 0.34; chosen after seeing that).
D_SLOPE_MIN = 100
# Lattice spacing of q₀'s line factor for the 1-D W2 (Δ vs 2Δ is the uncertainty; measured
# |W2(0.01) − W2(0.005)| = 1e-10).
SPACING = 0.02

DOC = """Exact W2(q₀, q_{t_stop}) over d = 1 … 10⁴ and γ, t_stop = min(γ, γ²m₂²/d).

q₀ = ½N(−2e₁, ¼I_d) + ½N(1.5e₁, ¼I_d), m₂ = (E‖x‖²)^{1/2} in closed form. Both laws are products
(law of x₁) ⊗ N(0, s² I_{d−1}), so W2² = W2²(line factors) + (d − 1)(s_t − s)², s_t² = e^{−2t}s² +
1 − e^{−2t}: the 1-D part from quantile functions (``GridLaw.w2`` of q₀'s exact cell masses on a
lattice of spacing Δ = 0.02 against q_t's exact quantile function; |W2(Δ) − W2(2Δ)| is the
uncertainty), the Gaussian part in closed form.
Checks: (1) every point (W2 + 2·unc)/B ≤ C[early_stop_w2] (the ledger's constant, shared with
``frontier_w2``), B = √d·√t_stop + m₂·t_stop (constant 1) — since t_stop ≤ γ and
t_stop ≤ γ²m₂²/d, B ≤ 2γm₂, so this also bounds W2 by 2·C·γm₂ (the ratio W2/(γm₂) is
reported); (2) d-slope at γ = 0.1 over d ≥ 100 (below, m₂²/d varies with d and nothing is a
power of d) ≤ the bound's own log-log slope along the same line + h (m₂
depends on d, so the exponent is the fitted slope of B on the grid, exact per regime;
alternative +½); (3) γ-slope at d = 100 ≥ the bound's slope − h (towards γ → 0; alternative
−½). Measured: W2 grows like √d (the variance shift (1 − s²)t/s in d − 1 coordinates) and
falls like γ² when t_stop = γ²m₂²/d (W2 linear in t for a Gaussian factor, where the bound's
√(d t) is for a point mass): faster than the bound's γ¹, consistent with it. Control: the
sampler stopped at t = γ, ignoring the γ²m₂²/d branch (the reference law at the wrong time),
judged against the bound at the right t_stop."""


def t_stop_of(gamma: float, d: int) -> float:
    """t_stop = min(γ, γ²m₂²/d) (``gupta2024.early_stop``) for ``mixture_in(d)``.

    Parameters
    ----------
    gamma : float
        Target W2 closeness γ, > 0.
    d : int
        Dimension, >= 1.

    Returns
    -------
    float
        The early-stopping time.

    Examples
    --------
    >>> t_stop_of(0.5, 1) <= 0.5
    True
    """
    return float(bounds.get("gupta2024.early_stop").evaluate(gamma=gamma, m_2=m2_of(d), d=d))


@functools.lru_cache(maxsize=256)
def _line_w2(t, spacing):
    mix = mixture_in(1)
    target = mix.at(t)
    fine = GridLaw.from_mixture(mix, spacing=spacing).w2(target)
    coarse = GridLaw.from_mixture(mix, spacing=2 * spacing).w2(target)
    return fine, abs(fine - coarse)


def w2_to_noised(d: int, t: float, spacing: float = SPACING) -> tuple[float, float]:
    """W2(q₀, q_t) for ``mixture_in(d)``, exactly up to the 1-D lattice error (module docstring).

    Parameters
    ----------
    d : int
        Dimension, >= 1.
    t : float
        Diffusion time of q_t, > 0.
    spacing : float
        Lattice spacing of q₀'s line factor.

    Returns
    -------
    (float, float)
        W2 (length units) and its uncertainty |W2(Δ) − W2(2Δ)| of the 1-D part.

    Raises
    ------
    ValueError
        Bad ``d``.
    """
    d = check_dimension(d)
    w2_line, err = _line_w2(float(t), float(spacing))
    s = math.sqrt(LINE_VARIANCE)
    e2 = math.exp(-2.0 * float(t))
    s_t = math.sqrt(e2 * LINE_VARIANCE + 1.0 - e2)
    w2 = math.sqrt(w2_line ** 2 + (d - 1) * (s_t - s) ** 2)
    return w2, err


def _measure(d, gamma, stop_rule="min"):
    d = check_dimension(d)
    if not 0 < float(gamma) < 1:
        raise ValueError(f"gamma: must be in (0, 1), got {gamma!r}")
    t = t_stop_of(gamma, d) if stop_rule == "min" else float(gamma)
    w2, unc = w2_to_noised(d, t)
    return dict(w2=w2, uncertainty=unc, t=t)


def _wrong_time_measure(d, gamma):
    """Control: stopped at t = γ (the min's γ²m₂²/d branch ignored)."""
    return _measure(d, gamma, stop_rule="gamma")


def _grid(quick):
    if quick:
        pts = [dict(d=d, gamma=CENTRE["gamma"]) for d in D_LINE[True]]
        pts += [dict(d=CENTRE["d"], gamma=g) for g in GAMMA_LINE[True] if g != CENTRE["gamma"]]
        return pts
    return [dict(d=d, gamma=g) for d in D_LINE[False] for g in GAMMA_LINE[False]]


def _gamma_line(quick):
    """The control's points: the γ line at d = 100 (its ledger check rejects it)."""
    return [dict(d=CENTRE["d"], gamma=g) for g in GAMMA_LINE[bool(quick)]]


def _bound(d, gamma):
    t = np.array([t_stop_of(g, int(k)) for k, g in zip(d, gamma, strict=True)])
    m2 = np.array([m2_of(int(k)) for k in d])
    b = np.asarray(bounds.get(EARLY_STOP_KEY).evaluate(d=d, t=t, m_2=m2, C=1.0), float)
    return b, t, m2


def _verdict(points, rows):
    d, gamma = _column(points, "d"), _column(points, "gamma")
    w2, unc = _column(rows, "w2"), _column(rows, "uncertainty")
    bound, t, m2 = _bound(d, gamma)
    checks = [ledger_check(EARLY_STOP_KEY, w2, bound, uncertainty=unc, points=points,
                           claim="early_stopping_dimension")]
    rates = []
    for name, sel, other, direction, alt in (
            ("d", (gamma == CENTRE["gamma"]) & (d >= D_SLOPE_MIN), d, "to_infinity", 0.5),
            ("gamma", d == CENTRE["d"], gamma, "to_zero", -0.5)):
        x = other[sel]
        if np.unique(x).size >= 3:
            exp = loglog_slope(x, bound[sel])[0]
            rates.append(line_slope_check(name, x, w2[sel], exp, direction, alternative=exp + alt))
        else:
            rates.append(line_slope_check(name, x, w2[sel], 0.0, direction, alternative=alt))
    slopes = [r for r in rates if isinstance(r, Slope)]
    level = w2 / (gamma * m2)
    return ClaimRecord(
        name="early_stopping_dimension", statements=[EARLY_STOP_KEY, "gupta2024.early_stop"],
        params=dict(d=d, gamma=gamma, t_stop=t, m_2=m2),
        predicted=bound, measured=w2, ratio=(w2 + 2 * unc) / bound, uncertainty=unc,
        slopes=slopes, checks=checks + [r.as_check() if isinstance(r, Slope) else r
                                        for r in rates],
        details=dict(w2_over_gamma_m2=level, max_w2_over_gamma_m2=float(level.max()),
                     measured_t=_column(rows, "t")))


# Types and ranges of the parameters, checked when a sweep file is read and before measuring.
PARAMETER_SPECS = dict(d=integer(1), gamma=probability())
CLAIM = Claim(
    "early_stopping_dimension", (EARLY_STOP_KEY, "gupta2024.early_stop"),
    dict(d=1, gamma=0.1),
    _measure, _grid, _verdict, DOC,
    controls=(Control("stopped_at_gamma",
                      "sampler stopped at t = γ (min(γ, γ²m₂²/d) ignored), bound at t_stop",
                      _gamma_line, measure_fn=_wrong_time_measure),),
    parameter_specs=PARAMETER_SPECS)
