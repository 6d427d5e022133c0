"""The verdict machinery: constants, held-out checks and slopes must be able to fail."""

import numpy as np
import pytest
from scipy import stats

from diffbounds.claims.verdict import (
    fit_constant,
    fit_term_constants,
    held_out_check,
    loglog_slope,
    slope_check,
)


def test_fit_constant_is_the_smallest_fitting_value():
    m = np.array([1.0, 2.0, 3.0, 10.0])
    b = np.array([2.0, 2.0, 2.0, 2.0])
    cal = np.array([True, True, True, False])
    assert fit_constant(m, b, cal) == 1.5
    ok, worst = held_out_check(m, b, cal, 1.5)
    assert not ok and worst == pytest.approx(10 / 3)
    # With an uncertainty of 2 sd covering the excess, the held-out point passes.
    ok, _ = held_out_check(m, b, cal, 1.5, uncertainty=np.array([0, 0, 0, 3.6]))
    assert ok


def test_term_constants_solve_the_lp():
    # measured = 2 B1 + 0.5 B2 exactly; the LP recovers a cover with equality at the corners.
    rng = np.random.default_rng(0)
    terms = rng.uniform(0.1, 1.0, (2, 12))
    measured = 2 * terms[0] + 0.5 * terms[1]
    cal = np.arange(12) < 8
    c = fit_term_constants(measured, terms, cal)
    assert np.all(c >= 0)
    assert np.all(c @ terms[:, cal] >= measured[cal] - 1e-9)
    # The LP's optimum is never more expensive than the true constants.
    assert c @ terms.mean(1) <= np.array([2, 0.5]) @ terms.mean(1) + 1e-9


def test_a_bound_with_the_wrong_rate_fails_held_out():
    # measured ~ N^-0.25, bound ~ N^-0.5: calibrated on small N, held out at large N -> fails.
    n = np.array([10, 20, 40, 80, 160, 320.0])
    measured, bound = n**-0.25, n**-0.5
    cal = n <= 40
    ok, worst = held_out_check(measured, bound, cal, fit_constant(measured, bound, cal))
    assert not ok and worst > 1
    s = slope_check("N", n, measured, -0.5, "to_infinity")
    assert not s.holds and s.slope == pytest.approx(-0.25)


def test_slope_direction_rules():
    x = np.array([0.01, 0.02, 0.04, 0.08])
    # Towards eps -> 0 the error must shrink at least as fast as eps^1.
    assert slope_check("eps", x, x**1.5, 1.0, "to_zero").holds
    assert not slope_check("eps", x, x**0.5, 1.0, "to_zero").holds
    with pytest.raises(ValueError, match="^direction"):
        slope_check("eps", x, x, 1.0, "sideways")


def test_loglog_slope_matches_scipy_and_has_a_valid_interval():
    rng = np.random.default_rng(3)
    x = np.geomspace(1, 100, 20)
    y = 3 * x**-0.7 * np.exp(rng.normal(0, 0.1, 20))
    slope, half = loglog_slope(x, y)
    ref = stats.linregress(np.log(x), np.log(y))
    assert slope == pytest.approx(ref.slope, rel=1e-12)
    assert half == pytest.approx(stats.t.ppf(0.975, 18) * ref.stderr, rel=1e-12)
    assert abs(slope + 0.7) < half


@pytest.mark.parametrize("call, name", [
    (lambda: fit_constant([1.0], [0.0], [True]), "bound"),
    (lambda: fit_constant([1.0], [1.0], [False]), "calibration"),
    (lambda: held_out_check([1.0], [1.0], [True], 1.0), "calibration"),
    (lambda: loglog_slope([1.0, 2.0], [1.0, 2.0]), "x"),
    (lambda: loglog_slope([1.0, 2.0, 3.0], [1.0, 0.0, 2.0]), "y"),
    (lambda: fit_term_constants([1.0], [[-1.0]], [True]), "terms"),
])
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=f"^{name}"):
        call()
