"""The dimension claims of issue 14 §2–§3 (discretization_dimension, early_stopping_dimension,
propagation_dimension, steps_for_accuracy, w2_versus_quantile).

Per claim: its quick grid holds with the pinned ledger constants, its negative control is
rejected, and an injected wrong rate or constant makes it fail. Oracles for the helpers:
``law_nd.output_law`` run directly in d = 64 for the d = 2 → d embedding, the mixture's own
second moment for m₂, ``law_nd.ProductLaw.w2`` for the W2 of early stopping and the two
dimensions' closed-form Gaussian W2, and the bracket property of the step search.
"""

import dataclasses
import functools
import math

import numpy as np
import pytest

from diffbounds.claims import discretization_dimension as DD
from diffbounds.claims import early_stopping_dimension as ES
from diffbounds.claims import ledger as ledger_mod
from diffbounds.claims import propagation_dimension as PD
from diffbounds.claims import steps_for_accuracy as SA
from diffbounds.claims import w2_versus_quantile as WQ
from diffbounds.claims._dimension_common import (
    B6_KEY,
    B7_KEY,
    EARLY_STOP_KEY,
    m2_of,
    mixture_in,
    product_law,
)
from diffbounds.claims._propagation_common import B4_KEY
from diffbounds.simulators import perturbed_score, schedule
from diffbounds.simulators.law1d import GridLaw
from diffbounds.simulators.law_nd import ProductLaw, output_law


@functools.cache
def _quick_rows(module_name):
    mod = {m.CLAIM.name: m for m in (DD, ES, PD, SA, WQ)}[module_name]
    points = mod.CLAIM.grid(quick=True)
    return points, [mod.CLAIM.measure(**p) for p in points]


def _check(record, name):
    (c,) = [c for c in record.all_checks() if c.name == name]
    return c


def _scaled_ledger(monkeypatch, key, factor, modules=()):
    """Replace the ledger by one whose ``key`` constant is ``factor`` × the pinned one."""
    real = ledger_mod.load_ledger()
    entries = dict(real.entries)
    entries[key] = dataclasses.replace(entries[key], constant=entries[key].constant * factor)
    fake = ledger_mod.Ledger(entries, real.path)
    monkeypatch.setattr(ledger_mod, "load_ledger", lambda path=None: fake)
    for mod in modules:
        monkeypatch.setattr(mod, "load_ledger", lambda path=None: fake)


# ----------------------------------------------------------------------------- helpers


def test_m2_closed_form_matches_the_mixture():
    for d in (1, 7, 300):
        assert m2_of(d) == pytest.approx(math.sqrt(mixture_in(d).second_moment()), rel=1e-12)


@pytest.mark.parametrize("err", [None, dict(eps=0.05, delta_step=1e-3, bad_magnitude=20.0)])
def test_embedding_equals_law_nd_run_in_d64(err):
    """product_law computes in d = 2 and embeds; law_nd.output_law in d = 64 is the oracle."""
    d, N = 64, 12
    times = schedule.exponential(6.0, 1e-2, N)
    mix = mixture_in(d)
    e1 = np.eye(d)[0]
    score = mix if err is None else perturbed_score(
        mix, eps=err["eps"], delta=err["delta_step"], bad_magnitude=err["bad_magnitude"],
        region="halfspace", halfspace_normal=e1, direction=e1)
    direct = output_law(score, times, grid={"spacing": 0.05})
    emb = product_law(d, N=N, T=6.0, t_stop=1e-2, spacing=0.05, **(err or {}))
    assert direct.line.start == emb.line.start
    np.testing.assert_allclose(emb.line.mass, direct.line.mass, rtol=0, atol=1e-15)
    assert emb.perp_var == pytest.approx(direct.perp_var, rel=1e-13)
    np.testing.assert_allclose(emb.perp_mean, direct.perp_mean, atol=1e-15)
    target = mix.at(1e-2)
    assert emb.tv(target) == pytest.approx(direct.tv(target), abs=1e-13)


def test_early_stopping_w2_against_law_nd_product_law():
    """W2(q₀, q_t) of early_stopping_dimension against ProductLaw.w2 of q₀'s exact cell masses
    (a different quantile-function code path) in d = 1 and d = 500."""
    t = 0.02
    line = GridLaw.from_mixture(mixture_in(1), spacing=0.01)
    for d in (1, 500):
        v = np.eye(d)[0]
        q0 = ProductLaw(line, v, np.zeros(d), 0.25 if d > 1 else 1.0)
        w2, unc = ES.w2_to_noised(d, t)
        assert unc < 1e-6
        assert w2 == pytest.approx(q0.w2(mixture_in(d).at(t)), abs=1e-6)
    # the Gaussian factor alone: d-dependence is exactly (d − 1)(s_t − s)² in W2²
    s_t = math.sqrt(0.25 * math.exp(-2 * t) + 1 - math.exp(-2 * t))
    diff = ES.w2_to_noised(401, t)[0] ** 2 - ES.w2_to_noised(1, t)[0] ** 2
    assert diff == pytest.approx(400 * (s_t - 0.5) ** 2, rel=1e-9)


def test_smallest_steps_brackets_the_target():
    n_star, n_below, tv_star, tv_below = SA.smallest_steps(16, 0.1, 0.05)
    assert tv_star <= 0.1 < tv_below and n_below < n_star <= 1.1 * n_below + 1
    # the TVs at the bracket, recomputed with law_nd.output_law directly in d = 16
    mix = mixture_in(16)
    for n, tv in ((n_star, tv_star), (n_below, tv_below)):
        law = output_law(mix, schedule.exponential(SA.T_HORIZON, SA.T_STOP, n),
                         grid={"spacing": 0.05})
        assert law.tv(mix.at(SA.T_STOP)) == pytest.approx(tv, abs=1e-12)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="d:"):
        DD.CLAIM.measure(d=0, N=20)
    with pytest.raises(ValueError, match="gamma"):
        ES.CLAIM.measure(d=3, gamma=1.5)
    with pytest.raises(ValueError, match="target_tv"):
        SA.smallest_steps(4, 1.2, 0.05)


# ----------------------------------------------------------------------------- claims

def test_discretization_dimension_holds_and_its_control_is_rejected():
    rec = DD.CLAIM.run(quick=True)
    assert rec.state == "holds", rec.reason
    assert _check(rec, "rate in d").value == pytest.approx(0.5, abs=0.05)
    (ctrl,) = rec.controls
    assert ctrl.rejected and ctrl.margin > 1


def test_discretization_dimension_fails_on_injected_rate_and_constant(monkeypatch):
    points, rows = _quick_rows("discretization_dimension")
    # a TV growing like d^1.2 (an extra d^0.7): the d-slope must exceed ½ + h
    bad = [dict(r, tv=r["tv"] * (p["d"] / 100.0) ** 0.7) for p, r in zip(points, rows, strict=True)]
    assert _check(DD._verdict(points, bad), "rate in d").state == "fails"
    _scaled_ledger(monkeypatch, B4_KEY, 0.02)
    rec = DD._verdict(points, rows)
    assert _check(rec, f"constant {B4_KEY}").state == "fails" and rec.state == "fails"


def test_early_stopping_dimension_holds_and_its_control_is_rejected():
    rec = ES.CLAIM.run(quick=True)
    assert rec.state == "holds", rec.reason
    (ctrl,) = rec.controls
    assert ctrl.rejected and ctrl.margin > 1
    assert rec.details["max_w2_over_gamma_m2"] < 2 * ledger_mod.load_ledger().constant(
        EARLY_STOP_KEY)


def test_early_stopping_dimension_fails_on_injected_rate_and_constant(monkeypatch):
    points, rows = _quick_rows("early_stopping_dimension")
    bad = [dict(r, w2=r["w2"] * (p["d"] / 100.0) ** 0.5) for p, r in zip(points, rows, strict=True)]
    assert _check(ES._verdict(points, bad), "rate in d").state == "fails"
    _scaled_ledger(monkeypatch, EARLY_STOP_KEY, 0.2)
    assert ES._verdict(points, rows).state == "fails"


def test_propagation_dimension_holds_and_its_control_is_rejected():
    rec = PD.CLAIM.run(quick=True)
    assert rec.state == "holds", rec.reason
    (ctrl,) = rec.controls
    assert ctrl.rejected and ctrl.margin > 0


def test_propagation_dimension_fails_on_injected_rate_and_constant(monkeypatch):
    points, rows = _quick_rows("propagation_dimension")
    bad = [dict(r, tv=r["tv"] * (p["d"] / 100.0) ** 0.6) for p, r in zip(points, rows, strict=True)]
    assert _check(PD._verdict(points, bad), "rate in d").state == "fails"
    _scaled_ledger(monkeypatch, B6_KEY, 0.1)
    assert _check(PD._verdict(points, rows), f"constant {B6_KEY}").state == "fails"


def test_steps_for_accuracy_holds_and_its_control_is_rejected():
    rec = SA.CLAIM.run(quick=True)
    assert rec.state == "holds", rec.reason
    assert _check(rec, "rate in d").value < _check(rec, "rate in d").limit
    (ctrl,) = rec.controls
    assert ctrl.rejected


def test_steps_for_accuracy_fails_on_injected_rate_and_constant(monkeypatch):
    points, rows = _quick_rows("steps_for_accuracy")
    bad = [dict(r, steps=r["steps"] * p["d"] ** 0.8) for p, r in zip(points, rows, strict=True)]
    assert _check(SA._verdict(points, bad), "rate in d").state == "fails"
    _scaled_ledger(monkeypatch, B7_KEY, 0.1)
    assert _check(SA._verdict(points, rows), f"constant {B7_KEY}").state == "fails"


@pytest.mark.slow
def test_w2_versus_quantile_holds_and_its_control_is_rejected():
    rec = WQ.CLAIM.run(quick=True)
    assert rec.state == "holds", rec.reason
    (ctrl,) = rec.controls
    assert ctrl.rejected and ctrl.margin > 10
    growth = rec.details["growth"]
    for s, h in growth.values():  # W2 ∝ bad magnitude (observable rate 1)
        assert abs(s - 1) < 0.05 + h


def test_w2_versus_quantile_d1_shows_w2_growth_flat_tv_and_bounded_frontier(monkeypatch):
    """The quick representative: d = 1 only (the d = 64 run is the slow test above)."""
    points = [p for p in WQ.CLAIM.grid(quick=True) if p["d"] == 1]
    rows = [WQ.CLAIM.measure(**p) for p in points]
    rec = WQ._verdict(points, rows)
    assert rec.state == "holds", rec.reason
    w2 = np.array([r["w2_to_data"] for r in rows])
    assert w2[-1] / w2[0] > 10  # 16× the magnitude
    tv = np.array([r["tv"] for r in rows])
    assert np.ptp(tv) < 0.01 * tv.max()  # the claim's own flatness tolerance (1%), over all B
    # injected: a bounded W2 (the same value at every magnitude) fails the growth check
    flat = [dict(r, w2_to_data=rows[0]["w2_to_data"]) for r in rows]
    assert _check(WQ._verdict(points, flat),
                  "w2_to_data grows with bad_magnitude (d=1)").state == "fails"
    # injected: a frontier 100× too far fails the early-stopping ledger check
    far = [{k: (v * 100 if k.startswith("frontier_upper") else v) for k, v in r.items()}
           for r in rows]
    assert WQ._verdict(points, far).state == "fails"
    _scaled_ledger(monkeypatch, B6_KEY, 0.01, modules=(WQ,))
    assert _check(WQ._verdict(points, rows), f"constant {B6_KEY}").state == "fails"


@pytest.mark.slow
def test_propagation_dimension_catches_the_delta_per_step_bookkeeping_bug():
    """On a δ line (ε = 0.01, d = 100, N = 50) the bound with δ_step for δ = N·δ_step needs a
    score-error constant above the pinned one, while the right bookkeeping holds."""
    c = PD.CENTRE[True]
    points = [PD.CLAIM.complete(dict(c, eps=PD.DELTA_LINE_EPS, delta_step=s))
              for s in PD.DELTA_LINE]
    rows = [PD.CLAIM.measure(**p) for p in points]
    name = f"constant {B6_KEY}[score_error]"
    assert _check(PD._verdict(points, rows), name).state == "holds"
    assert _check(PD._per_step_verdict(points, rows), name).state == "fails"
