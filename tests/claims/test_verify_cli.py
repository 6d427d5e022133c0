"""``diffbounds verify``: table, JSON records, and the exit code of a failing claim."""

import json

import pytest

from diffbounds.claims import registry
from diffbounds.claims._claim import Claim
from diffbounds.claims.verdict import ClaimRecord
from diffbounds.cli import main


def test_verify_quick_subset_writes_json(tmp_path, capsys):
    path = tmp_path / "v.json"
    rc = main(["verify", "--quick", "--only", "discretization", "single_component",
               "--json", str(path)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "discretization" in out and "single_component" in out
    data = json.loads(path.read_text())
    (claim,) = data["claims"]
    for key in ("name", "statements", "params", "predicted", "measured", "ratio", "holds",
                "state", "reason", "checks", "controls", "ledger"):
        assert key in claim
    assert claim["statements"] == ["gupta2024.lemma_b4"]
    assert len(claim["measured"]) == len(claim["predicted"]) == len(claim["params"]["N"])
    assert data["checks"][0]["name"] == "single_component"


def test_verify_exits_1_when_a_claim_fails(monkeypatch, capsys):
    failing = Claim("always_fails", ("x",), {}, lambda: {"v": 2.0}, lambda quick: [{}],
                    lambda pts, rows: ClaimRecord("always_fails", ["x"], {}, [1.0], [2.0], [2.0],
                                                  False, 1.0))
    monkeypatch.setitem(registry.CLAIMS, "always_fails", failing)
    assert main(["verify", "--only", "always_fails"]) == 1
    assert "always_fails" in capsys.readouterr().out


def test_verify_markdown(monkeypatch, capsys):
    ok = Claim("fine", ("k",), {}, lambda: {"v": 0.5}, lambda quick: [{}],
               lambda pts, rows: ClaimRecord("fine", ["k"], {}, [1.0], [0.5], [0.5], True, 0.5,
                                             held_out_worst_ratio=0.9))
    monkeypatch.setattr(registry, "CLAIMS", {"fine": ok})
    # A claim without negative controls is at best inconclusive (exit 3).
    assert main(["verify", "--markdown", "--only", "fine"]) == 3
    out = capsys.readouterr().out
    assert out.startswith("| claim |") and "| fine | inconclusive | - | - | - | none |" in out


def test_verify_writes_the_readme_block(monkeypatch, tmp_path):
    from diffbounds.cli.verify import README_BEGIN, README_END

    ok = Claim("fine", ("k",), {}, lambda: {"v": 0.5}, lambda quick: [{}],
               lambda pts, rows: ClaimRecord("fine", ["k"], {}, [1.0], [0.5], [0.5], True, 0.5))
    monkeypatch.setattr(registry, "CLAIMS", {"fine": ok})
    readme = tmp_path / "R.md"
    readme.write_text(f"intro\n{README_BEGIN}\nold table\n{README_END}\nrest\n")
    assert main(["verify", "--markdown", "--only", "fine", "--readme", str(readme)]) == 3
    text = readme.read_text()
    assert "old table" not in text and "| fine | inconclusive |" in text
    assert text.startswith("intro\n") and text.endswith(f"{README_END}\nrest\n")
    readme.write_text("no markers")
    assert main(["verify", "--markdown", "--only", "fine", "--readme", str(readme)]) == 2


def test_readme_claims_table_lists_every_claim():
    """The README's table is generated (diffbounds verify --markdown --readme); it must list
    exactly the registered claims."""
    from pathlib import Path

    from diffbounds.cli.verify import README_BEGIN, README_END

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = text[text.index(README_BEGIN):text.index(README_END)]
    names = [line.split("|")[1].strip() for line in block.splitlines()[3:] if line.startswith("|")]
    assert sorted(names) == sorted(registry.CLAIMS)


def test_verify_unknown_name(capsys):
    assert main(["verify", "--only", "nope"]) == 2
    assert "only: unknown" in capsys.readouterr().err


@pytest.mark.slow
def test_verify_quick_all_hold(tmp_path):
    assert main(["verify", "--quick", "--json", str(tmp_path / "all.json")]) == 0


def _toy(name, state, control_state):
    from diffbounds.claims._claim import Control
    from diffbounds.claims.verdict import Check

    def verdict(pts, rows):
        st = control_state if pts and pts[0].get("ctl") else state
        return ClaimRecord(name, ["k"], {}, checks=[Check("c", "shape", st, "because",
                                                          margin=2.0)])
    return Claim(name, ("k",), {"ctl": False}, lambda ctl: {"v": 1.0}, lambda quick: [{}],
                 verdict, controls=(Control("broken", "d", lambda q: [{"ctl": True}]),))


@pytest.mark.parametrize("state, control, code, shown", [
    ("holds", "fails", 0, "holds"),
    ("fails", "fails", 1, "fails"),
    ("inconclusive", "fails", 3, "inconclusive"),
    ("holds", "holds", 1, "no power"),
])
def test_verify_exit_codes_and_tables(monkeypatch, capsys, tmp_path, state, control, code,
                                      shown):
    monkeypatch.setattr(registry, "CLAIMS", {"toy": _toy("toy", state, control)})
    path = tmp_path / "v.json"
    assert main(["verify", "--only", "toy", "--json", str(path)]) == code
    out = capsys.readouterr().out
    assert "== Claims ==" in out and "== Negative controls" in out and shown in out
    assert "faster than the bound" in out
    data = json.loads(path.read_text())
    assert data["exit_code"] == code and data["claims"][0]["controls"][0]["name"] == "broken"
    # every row of the claims table has its columns aligned with the header
    lines = out.split("== Claims ==")[1].splitlines()
    header = next(line for line in lines if line.startswith("claim "))
    row = next(line for line in lines if line.startswith("toy "))
    assert row.index(state if code != 1 or state == "fails" else "fails") == \
        header.index("state")


def test_verify_no_controls_is_never_holds(monkeypatch, capsys):
    monkeypatch.setattr(registry, "CLAIMS", {"toy": _toy("toy", "holds", "fails")})
    assert main(["verify", "--only", "toy", "--no-controls"]) == 3
    assert "controls not run" in capsys.readouterr().out
