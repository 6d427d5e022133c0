"""How a claim's verdict is reached (design.md, "What verified means here").

A bound B(θ) that hides an absolute constant C is checked in two parts:

* **constant**: a bound C·(B₁ + … + B_r) written with one absolute constant is, up to that
  constant, the same statement as C₁B₁ + … + C_rB_r with one absolute constant per term
  (take C = max C_i). The constants are fitted on the *calibration* part of the grid — its
  boundary: every point where some parameter takes its smallest or largest grid value — as the
  cheapest non-negative C_i (linear program: minimise Σ_i C_i·mean(B_i) subject to
  measured ≤ Σ_i C_i B_i at every calibration point). The *held-out* part — the interior
  points — must satisfy measured − K_SIGMA·uncertainty ≤ Σ_i C_i B_i: the bound's form, with
  constants that do not depend on the parameters, must cover the measurements between the
  points it was fitted on. Fitting per term keeps a loose term (e.g. the discretization term,
  far above the measured discretization error) from masking a tight one. Extrapolation towards
  the bound's regime is the job of the rates. The reported ``fitted_constant`` is max C_i: the
  single constant with measured ≤ C·B on the calibration part. (A claim may document another
  split when it asks another question, e.g. ``l2_versus_quantile``.)
* **rates**: the log-log slope of the measured quantity in a parameter is compared with the
  bound's exponent in that parameter (``bounds`` computes it). Towards the regime the measured
  error may shrink faster than the bound, never slower: for a parameter → ∞ the slope must be
  ≤ exponent + half-width of its 95% interval; for a parameter → 0 it must be ≥ exponent −
  half-width.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats

# Held-out points are compared with measured − K_SIGMA · uncertainty (documented band).
K_SIGMA = 2.0
# A held-out ratio equal to the calibration's up to round-off (interior points whose ratio is
# the same number, computed along another path) is not an excess: ratios ≤ 1 + ROUNDOFF hold.
ROUNDOFF = 1e-12


@dataclass
class Slope:
    parameter: str
    slope: float
    half_width: float
    exponent: float
    direction: str  # "to_zero" or "to_infinity"
    holds: bool

    def to_dict(self):
        return asdict(self)


@dataclass
class ClaimRecord:
    """One claim's outcome; ``to_dict`` is the JSON record of ``diffbounds verify --json``."""

    name: str
    statements: list[str]
    params: dict
    predicted: object
    measured: object
    ratio: object
    holds: bool
    fitted_constant: float | None
    uncertainty: object = None
    held_out_worst_ratio: float | None = None
    slopes: list[Slope] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self):
        d = asdict(self)
        d["slopes"] = [s.to_dict() for s in self.slopes]
        return jsonable(d)


def jsonable(obj):
    """``obj`` with NumPy arrays and scalars turned into JSON values (non-finite floats as
    strings, unknown objects as their ``str``)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if np.isfinite(f) else str(f)
    if isinstance(obj, (str, int)) or obj is None:
        return obj
    return str(obj)


def grid_boundary(*columns):
    """Calibration mask: points where some parameter is at its smallest or largest grid value.

    A parameter with fewer than three distinct values has no interior and is ignored (else
    every point would be on the boundary).
    """
    columns = [np.asarray(c, float) for c in columns]
    mask = np.zeros(len(columns[0]), bool)
    for c in columns:
        if np.unique(c).size >= 3:
            mask |= (c == c.min()) | (c == c.max())
    if mask.all():
        raise ValueError("columns: the grid has no interior point to hold out")
    return mask


def fit_constant(measured, bound, calibration):
    """Smallest C with measured ≤ C·bound on the calibration points (bound > 0)."""
    measured, bound = np.asarray(measured, float), np.asarray(bound, float)
    calibration = np.asarray(calibration, bool)
    if not calibration.any():
        raise ValueError("calibration: no calibration points")
    if np.any(bound <= 0) or not np.all(np.isfinite(bound)):
        raise ValueError("bound: must be positive and finite at every grid point")
    return float(np.max(measured[calibration] / bound[calibration]))


def fit_term_constants(measured, terms, calibration):
    """Per-term constants C_i ≥ 0 (module docstring); ``terms`` has shape (r, n_points)."""
    measured = np.asarray(measured, float)
    terms = np.atleast_2d(np.asarray(terms, float))
    calibration = np.asarray(calibration, bool)
    if not calibration.any():
        raise ValueError("calibration: no calibration points")
    if np.any(terms < 0) or not np.all(np.isfinite(terms)):
        raise ValueError("terms: must be non-negative and finite at every grid point")
    from scipy.optimize import linprog

    A = terms[:, calibration].T
    cost = terms.mean(axis=1) + 1e-300
    res = linprog(cost, A_ub=-A, b_ub=-measured[calibration], bounds=[(0, None)] * len(cost),
                  method="highs")
    if res.status != 0:
        raise RuntimeError(f"fit_term_constants: linear program failed ({res.message})")
    return res.x


def worst_held_out_index(measured, bound, calibration, uncertainty=0.0):
    """Index (into the full grid) of the held-out point with the largest ratio."""
    measured, bound = np.asarray(measured, float), np.asarray(bound, float)
    unc = np.broadcast_to(np.asarray(uncertainty, float), measured.shape)
    ratio = np.where(np.asarray(calibration, bool), -np.inf, (measured - K_SIGMA * unc) / bound)
    return int(np.argmax(ratio))


def held_out_check(measured, bound, calibration, constant, uncertainty=0.0):
    """(holds, worst ratio) of measured − K_SIGMA·uncertainty against C·bound off calibration."""
    measured, bound = np.asarray(measured, float), np.asarray(bound, float)
    held = ~np.asarray(calibration, bool)
    if not held.any():
        raise ValueError("calibration: every point is a calibration point; nothing is held out")
    unc = np.broadcast_to(np.asarray(uncertainty, float), measured.shape)
    lower = measured[held] - K_SIGMA * unc[held]
    worst = float(np.max(lower / (constant * bound[held]))) if constant > 0 else float("inf")
    return bool(worst <= 1.0 + ROUNDOFF), worst


def loglog_slope(x, y):
    """OLS slope of log y on log x and the half-width of its 95% confidence interval."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size < 3:
        raise ValueError("x: a slope with a confidence interval needs at least 3 points")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("y: log-log slopes need positive values")
    res = stats.linregress(np.log(x), np.log(y))
    half = float(stats.t.ppf(0.975, x.size - 2) * res.stderr)
    return float(res.slope), half


def slope_check(parameter, x, y, exponent, direction) -> Slope:
    """Compare the measured log-log slope with the bound's exponent (module docstring)."""
    if direction not in ("to_zero", "to_infinity"):
        raise ValueError(f"direction: must be 'to_zero' or 'to_infinity', got {direction!r}")
    slope, half = loglog_slope(x, y)
    exponent = float(exponent)
    holds = slope <= exponent + half if direction == "to_infinity" else slope >= exponent - half
    return Slope(parameter, slope, half, exponent, direction, bool(holds))
