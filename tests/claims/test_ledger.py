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


def test_ledger_cli_update_from_store_and_hunt_and_show(tmp_path, capsys):
    import json

    from diffbounds.claims.sweep import parse_sweep, run_sweep
    from diffbounds.cli import main

    store = tmp_path / "s.sqlite"
    run_sweep(parse_sweep('name = "t"\n[[task]]\nclaim = "discretization"\n'
                          'grid = { N = [20, 40, 80] }\nfixed = { spacing = 0.1 }\n'),
              store, workers=1, progress=False)
    led = tmp_path / "l.toml"
    assert main(["ledger", "update", "--from-store", str(store), "--ledger", str(led),
                 "--dry-run"]) == 0
    assert not led.exists()
    assert main(["ledger", "update", "--from-store", str(store), "--ledger", str(led)]) == 0
    e = load_ledger(led).get("gupta2024.lemma_b4")
    assert e.found_by == "grid" and e.claim == "discretization" and e.point["N"] == 20
    assert e.code_version and "sweep t" in e.source
    # the constant is the largest upper-end ratio of the stored points (recomputed here)
    from diffbounds import bounds
    from diffbounds.claims.store import ResultStore

    with ResultStore(store) as st:
        rows = st.rows(sweep="t")
    ratios = [(r["measured"]["tv"] + 2 * r["measured"]["uncertainty"])
              / bounds.get("gupta2024.lemma_b4").evaluate(N=r["params"]["N"], T=8.0, d=1,
                                                          gamma=1e-2, C=1.0) for r in rows]
    assert e.constant == pytest.approx(max(ratios), rel=1e-12)
    # a hunt result raises it only if larger
    hunt = tmp_path / "h.json"
    hunt.write_text(json.dumps({"candidates": [dict(key="gupta2024.lemma_b4", kind="upper",
                                                    ratio=e.constant / 2, claim="hunt",
                                                    point={"N": 5}, seed=0)]}))
    assert main(["ledger", "update", "--from-hunt", str(hunt), "--ledger", str(led)]) == 0
    assert load_ledger(led).constant("gupta2024.lemma_b4") == e.constant
    hunt.write_text(json.dumps({"candidates": [dict(key="gupta2024.lemma_b4", kind="upper",
                                                    ratio=e.constant * 2, claim="hunt",
                                                    point={"N": 5}, seed=0)]}))
    assert main(["ledger", "update", "--from-hunt", str(hunt), "--ledger", str(led)]) == 0
    assert load_ledger(led).get("gupta2024.lemma_b4").found_by == "hunt"
    capsys.readouterr()
    assert main(["ledger", "show", "--ledger", str(led), "--markdown"]) == 0
    assert "| gupta2024.lemma_b4 | upper |" in capsys.readouterr().out
    assert main(["ledger", "update", "--from-store", str(tmp_path / "none.sqlite"),
                 "--ledger", str(led)]) == 2
