"""The constant ledger: round trip, raising only towards what a statement needs, controls."""

import numpy as np
import pytest

from diffbounds.claims import verdict as V
from diffbounds.claims._claim import Claim, Control
from diffbounds.claims.ledger import Ledger, candidates_of_record, load_ledger


def test_round_trip_and_offer_only_raises(tmp_path):
    path = tmp_path / "l.toml"
    led = Ledger({}, path)
    cand = dict(key="s.a[term]", ratio=0.25, claim="c", seed=3, point={"x": 1.5, "w": [0.5, 0.5],
                                                                        "kind": "exp"})
    assert led.offer(cand, found_by="hunt", source="h.json")
    assert not led.offer({**cand, "ratio": 0.2}, found_by="grid")  # smaller: not adopted
    assert led.offer({**cand, "ratio": 0.3}, found_by="grid")
    led.save()
    back = load_ledger(path)
    e = back.get("s.a[term]")
    assert e.constant == 0.3 and e.found_by == "grid" and e.point == cand["point"]
    assert back.constant("s.a[term]") == 0.3
    with pytest.raises(KeyError, match="key"):
        back.constant("nope")
    # lower bounds move down only
    low = Ledger({}, path)
    low.offer(dict(key="gupta2024.lemma_4_1", ratio=0.5, point={}), found_by="grid")
    assert not low.offer(dict(key="gupta2024.lemma_4_1", ratio=0.7, point={}), found_by="grid")
    assert low.offer(dict(key="gupta2024.lemma_4_1", ratio=0.4, point={}), found_by="grid")
    assert low.get("gupta2024.lemma_4_1").kind == "lower"


def test_bad_ledger_files(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[entries.x]\nkind = 'upper'\n")
    with pytest.raises(ValueError, match="^ledger"):
        load_ledger(p)
    p.write_text("not toml [")
    with pytest.raises(ValueError, match="^ledger"):
        load_ledger(p)
    with pytest.raises(ValueError, match="^ratio"):
        Ledger({}, p).offer(dict(key="k", ratio=float("nan")), found_by="grid")
    assert load_ledger(tmp_path / "absent.toml").entries == {}


def _toy_claim(tmp_path, control_scale):
    led = Ledger({}, tmp_path / "l.toml")
    led.offer(dict(key="toy.bound", ratio=1.0, point={}), found_by="grid")

    def measure(x, scale=1.0):
        return dict(y=scale * x ** -0.5, unc=0.0)

    def verdict(points, rows):
        x = np.array([p["x"] for p in points])
        y = np.array([r["y"] for r in rows])
        checks = [V.ledger_check("toy.bound", y, x ** -0.5, points=points, claim="toy",
                                 ledger=led)]
        return V.ClaimRecord("toy", ["toy.bound"], {}, checks=checks)

    ctrl = Control("scaled", "measurement scaled", lambda q: [dict(x=v, scale=control_scale)
                                                             for v in (1.0, 4.0)])
    return Claim("toy", ("toy.bound",), dict(x=1.0, scale=1.0), measure,
                 lambda q: [dict(x=v) for v in (1.0, 2.0, 4.0)], verdict, controls=(ctrl,))


def test_claim_with_rejected_control_holds(tmp_path):
    rec = _toy_claim(tmp_path, 3.0).run()
    assert rec.state == V.HOLDS
    (c,) = rec.controls
    assert c.rejected and c.margin == pytest.approx(3.0) and c.check == "constant toy.bound"
    assert rec.ledger == {"toy.bound": 1.0}
    assert candidates_of_record(rec.to_dict())[0]["ratio"] == pytest.approx(1.0)


def test_claim_whose_control_is_not_rejected_fails_with_no_power(tmp_path):
    rec = _toy_claim(tmp_path, 0.5).run()
    assert rec.state == V.FAILS and rec.reason.startswith("no power")
    assert not rec.controls[0].rejected
