"""Injected bugs must make the claims fail (issue 9 §3, §5): the δ/N-for-δ bookkeeping bug and
the drift-coefficient bug of the exponential integrator, each injected on real measurements and
judged with the pinned ledger constants (claims/ledger.toml)."""

import pytest

from diffbounds.claims import discretization as D
from diffbounds.claims import frontier_w2 as F
from diffbounds.claims import l2_versus_quantile as L
from diffbounds.claims import propagation_tv as P
from diffbounds.claims._propagation_common import B6_KEY, B6_SCORE_KEY


def _delta_line(quick=True):
    c = P.CENTRE[quick]
    return [P.PROPAGATION_TV.complete(p) for p in P._propagation_grid(quick)
            if p["eps"] == P.DELTA_LINE_EPS and p["N"] == c["N"]]


def _check(record, name):
    (c,) = [c for c in record.checks if c.name == name]
    return c


def test_delta_per_step_bookkeeping_bug_is_caught():
    points = _delta_line()
    rows = [P.PROPAGATION_TV.measure(**p) for p in points]
    right = P._verdict(points, rows)
    bug = P._verdict(points, rows, bookkeeping="per_step")
    assert _check(right, f"constant {B6_SCORE_KEY}").state == "holds"
    failing = _check(bug, f"constant {B6_SCORE_KEY}")
    assert failing.state == "fails" and bug.state == "fails"
    # the message names the statement, the needed and the pinned constant and the point
    assert B6_SCORE_KEY in failing.reason and "pinned" in failing.reason
    assert "delta_step=" in failing.reason and failing.margin > 1


def test_drift_coefficient_bug_is_caught_by_discretization():
    points = D.DISCRETIZATION.grid(quick=True)
    rows = [D._half_drift_measure(**p) for p in points]
    rec = D.DISCRETIZATION.verdict(points, rows)
    assert rec.state == "fails"
    assert _check(rec, "constant gupta2024.lemma_b4").state == "fails"
    assert _check(rec, "rate in N").state == "fails"


def test_drift_coefficient_bug_is_caught_by_propagation_tv():
    points = [P.PROPAGATION_TV.complete(p) for p in P._n_line_grid(True)]
    rows = [P._half_drift_measure(**p) for p in points]
    rec = P.PROPAGATION_TV.verdict(points, rows)
    assert rec.state == "fails" and _check(rec, "rate in N").state == "fails"
    assert _check(rec, f"constant {B6_KEY}").state == "fails"


@pytest.mark.slow
def test_drift_coefficient_bug_is_caught_by_l2_versus_quantile():
    points = L.L2_VERSUS_QUANTILE.grid(quick=True)
    rows = [L._half_drift_measure(**p) for p in points]
    rec = L.L2_VERSUS_QUANTILE.verdict(points, rows)
    assert rec.state == "fails"
    assert _check(rec, "constant gupta2024.lemma_b4").state == "fails"


@pytest.mark.slow
def test_drift_coefficient_bug_is_caught_by_frontier_w2():
    points = [F.FRONTIER_W2.complete(p) for p in F._control_points(True)]
    rows = [F._half_drift_measure(**p) for p in points]
    rec = F.FRONTIER_W2.verdict(points, rows)
    assert _check(rec, f"constant {F.W2_KEY}").state == "fails"


@pytest.mark.slow
@pytest.mark.parametrize("claim", [D.DISCRETIZATION, P.PROPAGATION_TV, L.L2_VERSUS_QUANTILE,
                                   F.FRONTIER_W2], ids=lambda c: c.name)
def test_quick_claim_holds_and_rejects_every_control(claim):
    rec = claim.run(quick=True)
    assert rec.state == "holds", rec.reason
    assert rec.controls and all(c.rejected for c in rec.controls)


def test_has_power_closed_form():
    # null = 0: the excess is the W2 itself, a 2x violation (2Cb) shows when Cb > 2·unc.
    assert F.has_power(0.0, 0.01, 0.1) and not F.has_power(0.0, 0.06, 0.1)
    # null ≫ Cb: √(16 + 0.04) − 4 = 0.005 < 0.1: no power; Cb = 4: √(16+64) − 4 = 4.94 > 4.
    assert not F.has_power(4.0, 0.0, 0.1) and F.has_power(4.0, 0.0, 4.0)


def test_frontier_reads_gamma_star_at_the_ledger_epsilon_and_reports_no_power():
    """Synthetic curves: ε_B6 = C[B.6]·B6 picks the largest grid ε below it (an upper end of
    γ*(ε_B6)); a d whose method error is not below the pinned bound is reported as having no
    power (inconclusive), never as holding, and is kept out of the ledger check."""
    import numpy as np

    from diffbounds.claims.ledger import Ledger

    led = Ledger({})
    led.offer(dict(key=B6_KEY, ratio=0.1, point={}), found_by="grid")
    led.offer(dict(key=F.W2_KEY, ratio=0.5, point={}), found_by="grid")
    points = [F.FRONTIER_W2.complete(dict(d=d, gamma=g)) for d in (2, 32) for g in (0.1, 0.3)]
    rows = []
    for p in points:
        m2 = float(np.sqrt(F.mixture_in(p["d"]).second_moment()))
        t = float(F.bounds.get("gupta2024.early_stop").evaluate(gamma=p["gamma"], m_2=m2,
                                                                d=p["d"]))
        unc = 0.001 if p["d"] == 2 else 50.0
        null = [0.01] * 5 if p["d"] == 2 else [0.9, 0.85, 0.8, 0.7, 0.6]
        rows.append(dict(w2=[1.0, 0.9, 0.8, 0.7, 0.6], null=null,
                         excess=[0.1, 0.05, 0.0, 0.0, 0.0], uncertainty=[unc] * 5,
                         eps_grid=list(F.EPS_GRID), t_stop=t, m_2=m2, gamma_m2=p["gamma"] * m2))
    rec = F._frontier_verdict(points, rows, ledger=led)
    eps_b6 = np.asarray(rec.params["eps_b6"])
    assert np.all(eps_b6 > 0)
    idx = [int(np.searchsorted(F.EPS_GRID, e, side="right")) - 1 for e in eps_b6]
    assert list(rec.measured) == [rows[i]["excess"][j] for i, j in enumerate(idx)]
    (power,) = [c for c in rec.checks if c.kind == "power" and c.state == "inconclusive"]
    assert "d = 32" in power.reason
    (listed,) = [c for c in rec.checks if c.kind == "power" and c.state == "holds"]
    assert all(d == 32 for d, _ in listed.details["excluded"])
    (ledger,) = [c for c in rec.checks if c.kind == "ledger"]
    assert ledger.state == "holds" and rec.state == "inconclusive"
    assert all(p["d"] == 2 for p in [ledger.details["worst_point"]])
