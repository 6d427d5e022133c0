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
    # Uncertainty never makes the check easier: the upper end is compared.
    ok, worst_unc = held_out_check(m, b, cal, 1.5, uncertainty=np.array([0, 0, 0, 3.6]))
    assert not ok and worst_unc == pytest.approx((10 + 2 * 3.6) / 3)
    ok, _ = held_out_check([1.0, 2.9, 3.0], [2.0] * 3, [True, False, True], 1.5,
                           uncertainty=np.array([0, 0.1, 0]))
    assert not ok


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
    x = np.array([0.01, 0.02, 0.04, 0.08, 0.16])
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


# ---------------------------------------------------------------- three states, power, ledger
from diffbounds.claims import verdict as V  # noqa: E402
from diffbounds.claims.ledger import Ledger, load_ledger  # noqa: E402


def test_combine_states():
    assert V.combine_states([]) == V.HOLDS
    assert V.combine_states([V.HOLDS, V.INCONCLUSIVE]) == V.INCONCLUSIVE
    assert V.combine_states([V.INCONCLUSIVE, V.FAILS, V.HOLDS]) == V.FAILS
    with pytest.raises(ValueError, match="^states"):
        V.combine_states(["maybe"])
    assert V.EXIT_CODES == {"holds": 0, "fails": 1, "inconclusive": 3}


def test_half_width_limit_has_the_stated_power():
    # Oracle: simulate the slope estimate ŝ ~ N(b, (h/z_.975)²) at the limit h and count how
    # often the one-sided check ŝ <= a + h rejects the alternative b: must be 95%.
    a, b = -0.5, 0.0
    h = V.half_width_limit(a, b)
    sd = h / stats.norm.ppf(0.975)
    power = stats.norm.sf(a + h, loc=b, scale=sd)
    assert power == pytest.approx(0.95, abs=1e-12)
    assert h == pytest.approx(0.5 / (1 + 1.6448536269514722 / 1.959963984540054))
    with pytest.raises(ValueError, match="^alternative"):
        V.half_width_limit(1.0, 1.0)


def test_three_points_are_inconclusive_never_holds():
    x = np.array([25.0, 50.0, 100.0])
    s = slope_check("N", x, x**-0.5, -0.5, "to_infinity")
    assert s.state == V.INCONCLUSIVE and "distinct" in s.reason and not s.holds


def test_a_wide_interval_is_inconclusive():
    # The example: +0.34 ± 0.90 against -1/2 must not hold. Noisy slope of 5 points.
    rng = np.random.default_rng(1)
    x = np.geomspace(10, 160, 5)
    y = x**-0.5 * np.exp(rng.normal(0, 0.6, 5))
    s = slope_check("N", x, y, -0.5, "to_infinity")
    assert s.half_width > s.half_width_limit
    assert s.state == V.INCONCLUSIVE and "half-width" in s.reason


def test_powered_slope_holds_and_fails():
    x = np.geomspace(10, 160, 5)
    assert slope_check("N", x, 2 * x**-0.5, -0.5, "to_infinity").state == V.HOLDS
    # faster than the bound is consistent with an upper bound (one-sided)
    assert slope_check("N", x, 2 * x**-1.0, -0.5, "to_infinity").state == V.HOLDS
    bad = slope_check("N", x, 2 * x**-0.2, -0.5, "to_infinity")
    assert bad.state == V.FAILS and bad.margin == pytest.approx(0.3, abs=1e-9)
    # two-sided against an observable rate: -1 is observable, -0.5 is measured -> fails
    obs = slope_check("m", x, x**-0.5, -0.5, "to_infinity", observable=-1.0)
    assert obs.state == V.FAILS and "observable" in obs.reason


def test_record_state_follows_checks_and_legacy_holds():
    ok = V.Check("a", "shape", V.HOLDS)
    inc = V.Check("b", "rate", V.INCONCLUSIVE, "too few")
    rec = V.ClaimRecord("c", [], {}, checks=[ok, inc])
    assert rec.state == V.INCONCLUSIVE and not rec.holds and "too few" in rec.reason
    assert V.ClaimRecord("c", [], {}, holds=True).state == V.HOLDS
    assert V.ClaimRecord("c", [], {}, holds=False).state == V.FAILS
    d = rec.to_dict()
    assert d["state"] == "inconclusive" and d["checks"][1]["reason"] == "too few"
    with pytest.raises(ValueError, match="^state"):
        V.Check("a", "shape", "perhaps")


def _ledger(tmp_path, constant, kind="upper", key="demo.statement"):
    led = Ledger({}, tmp_path / "ledger.toml")
    led.offer(dict(key=key, kind=kind, ratio=constant, claim="test", point={"N": 1}),
              found_by="grid", source="test")
    led.save()
    return load_ledger(tmp_path / "ledger.toml")


def test_ledger_check_upper_end_and_three_states(tmp_path):
    led = _ledger(tmp_path, 2.0)
    b = np.array([1.0, 1.0, 1.0])
    pts = [{"N": 1}, {"N": 2}, {"N": 3}]
    hold = V.ledger_check("demo.statement", [1.0, 1.5, 1.8], b, uncertainty=0.1, points=pts,
                          ledger=led)
    assert hold.state == V.HOLDS and hold.value == pytest.approx(2.0)
    # 1.9 + 2·0.1 = 2.1 > 2 but 1.9 − 0.2 < 2: the method error straddles -> inconclusive
    inc = V.ledger_check("demo.statement", [1.0, 1.9, 1.0], b, uncertainty=0.1, points=pts,
                         ledger=led)
    assert inc.state == V.INCONCLUSIVE
    fail = V.ledger_check("demo.statement", [1.0, 5.0, 1.0], b, uncertainty=0.1, points=pts,
                          ledger=led)
    assert fail.state == V.FAILS
    assert "demo.statement" in fail.reason and "5.2" in fail.reason and "pinned 2" in \
        fail.reason and "N=2" in fail.reason
    assert fail.margin == pytest.approx(4.8 / 2.0)
    missing = V.ledger_check("other.key", [1.0], [1.0], ledger=led)
    assert missing.state == V.INCONCLUSIVE and "no pinned constant" in missing.reason


def test_ledger_check_lower_bound(tmp_path):
    led = _ledger(tmp_path, 0.5, kind="lower", key="gupta2024.lemma_4_1")
    ok = V.ledger_check("gupta2024.lemma_4_1", [1.0, 0.8], [1.0, 1.0], uncertainty=0.1,
                        ledger=led)
    assert ok.state == V.HOLDS and ok.value == pytest.approx(0.6)
    bad = V.ledger_check("gupta2024.lemma_4_1", [0.2, 0.8], [1.0, 1.0], uncertainty=0.01,
                         ledger=led)
    assert bad.state == V.FAILS and "smaller constant" in bad.reason


def test_ledger_check_bad_input(tmp_path):
    led = _ledger(tmp_path, 1.0)
    with pytest.raises(ValueError, match="^bound"):
        V.ledger_check("demo.statement", [1.0], [0.0], ledger=led)
    with pytest.raises(ValueError, match="^uncertainty"):
        V.ledger_check("demo.statement", [1.0], [1.0], uncertainty=-1, ledger=led)
    with pytest.raises(ValueError, match="^measured"):
        V.ledger_check("demo.statement", [np.nan], [1.0], ledger=led)
