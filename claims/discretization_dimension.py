"""Claim ``discretization_dimension``: exact TV(p̂_N, q_{t_stop}) over d from 1 to 10⁴ and N against
Lemma B.4's √(d/N)(T + log 1/γ).

Measure per grid point, grid, verdict and negative control; registered in ``claims.registry``.
"""

from __future__ import annotations

import numpy as np

from diffbounds import bounds
from diffbounds.claims._claim import Claim, Control, integer, positive, real
from diffbounds.claims._dimension_common import check_dimension, exact_tv
from diffbounds.claims._propagation_common import B4_KEY, _column
from diffbounds.claims.verdict import ClaimRecord, Slope, ledger_check, line_slope_check

T_HORIZON = 8.0
T_STOP = 1e-2
D_LINE = {True: (1, 10, 100, 1000, 10000), False: (1, 3, 10, 30, 100, 300, 1000, 3000, 10000)}
N_LINE = {True: (40, 80, 160, 320, 640), False: (40, 80, 160, 320, 640, 1280)}
CENTRE = dict(d=100, N=320)

DOC = """Exact score in d = 1 … 10⁴: TV(p̂_N, q_{t_stop}) against Lemma B.4, √(d/N)(T + log 1/γ).

Data law q₀ = ½N(−2e₁, ¼I_d) + ½N(1.5e₁, ¼I_d); exponential integrator from N(0, I_d), T = 8,
t_stop = γ = 1e-2, exponential schedule. The output law is exact in every d (law_nd product law:
1-D factor on a lattice ⊗ an isotropic Gaussian), TV by law_nd's quadrature; uncertainty =
lattice error (Δ vs 2Δ) + quadrature error estimate. The start-up error (N(0, I) for q_T) is
below 1e-5 in TV at every d here (variance mismatch e^{−2T}(1 − s²) per coordinate, ×√d).
Checks (claims.verdict): (1) every point (TV + 2·unc)/B4 ≤ C[B.4], the ledger constant shared
with ``discretization``; (2) d-slope at N = 320 ≤ ½ + h (B.4's exponent; alternative 1,
linear growth in d, limit 0.272); (3) N-slope at d = 100 ≤ −½ + h (alternative 0, no decay).
Measured: the d-slope is ½ (the Gaussian factor's TV grows like √d·|V_N/s_t² − 1|) and the
N-slope −1 (the exponential integrator is first order on the Gaussian factor): faster decay
than the bound's −½ is consistent with an upper bound. Control: the bound evaluated without its
dimension (d = 1 in B.4, a dimension-free bookkeeping): needs a constant far above C[B.4] at
large d and its d-exponent 0 is exceeded."""


def _measure(d, N, spacing, T=T_HORIZON):
    check_dimension(d)
    tv, unc = exact_tv(int(d), N=int(N), T=float(T), t_stop=T_STOP, spacing=float(spacing))
    return dict(tv=tv, uncertainty=unc)


def _grid(quick):
    spacing = 0.05 if quick else 0.02
    if quick:
        pts = [dict(d=d, N=CENTRE["N"]) for d in D_LINE[True]]
        pts += [dict(d=CENTRE["d"], N=n) for n in N_LINE[True] if n != CENTRE["N"]]
    else:
        pts = [dict(d=d, N=n) for d in D_LINE[False] for n in N_LINE[False]]
    return [dict(p, spacing=spacing) for p in pts]


def _verdict(points, rows, *, bound_d=None):
    stmt = bounds.get(B4_KEY)
    d, n = _column(points, "d"), _column(points, "N")
    T = float(points[0].get("T", T_HORIZON))
    measured, unc = _column(rows, "tv"), _column(rows, "uncertainty")
    dd = d if bound_d is None else np.full_like(d, float(bound_d))
    bound = np.asarray(stmt.evaluate(N=n, T=T, d=dd, gamma=T_STOP, C=1.0), float)
    checks = [ledger_check(B4_KEY, measured, bound, uncertainty=unc, points=points,
                           claim="discretization_dimension")]
    exp_d = float(bounds.exponent(stmt.expr, "d")) if bound_d is None else 0.0
    on_d = n == CENTRE["N"]
    on_n = d == CENTRE["d"]
    rates = [line_slope_check("d", d[on_d], measured[on_d], exp_d, "to_infinity",
                              alternative=exp_d + 0.5),
             line_slope_check("N", n[on_n], measured[on_n], float(bounds.exponent(stmt.expr, "N")),
                              "to_infinity", alternative=0.0)]
    slopes = [r for r in rates if isinstance(r, Slope)]
    return ClaimRecord(
        name="discretization_dimension", statements=[stmt.key],
        params=dict(d=d, N=n, T=T, t_stop=T_STOP, bound_d=bound_d),
        predicted=bound, measured=measured, ratio=(measured + 2 * unc) / bound,
        uncertainty=unc, slopes=slopes,
        checks=checks + [r.as_check() if isinstance(r, Slope) else r for r in rates])


def _claim_verdict(points, rows):
    return _verdict(points, rows)


def _dimension_free_verdict(points, rows):
    """Control: B.4 evaluated with d = 1 (the dimension dropped from the bound)."""
    return _verdict(points, rows, bound_d=1)


# Types and ranges of the parameters, checked when a sweep file is read and before measuring.
PARAMETER_SPECS = dict(d=integer(1), N=integer(5), spacing=positive(), T=real(1.0))
CLAIM = Claim(
    "discretization_dimension", (B4_KEY,),
    dict(d=1, N=320, spacing=0.05, T=T_HORIZON),
    _measure, _grid, _claim_verdict, DOC,
    controls=(Control("dimension_free_bound",
                      "Lemma B.4 evaluated with d = 1 (√d dropped from the bound)",
                      _grid, verdict_fn=_dimension_free_verdict),),
    parameter_specs=PARAMETER_SPECS)
