"""``diffbounds verify``: table, JSON records, and the exit code of a failing claim."""

import json

import pytest

from diffbounds.claims import registry
from diffbounds.claims._claim import Claim
from diffbounds.cli import main
from diffbounds.claims.verdict import ClaimRecord


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
                "fitted_constant"):
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
    assert main(["verify", "--markdown", "--only", "fine"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| claim |") and "| fine | k | 0.5 | 0.9 | - | yes |" in out


def test_verify_writes_the_readme_block(monkeypatch, tmp_path):
    from diffbounds.cli.verify import README_BEGIN, README_END

    ok = Claim("fine", ("k",), {}, lambda: {"v": 0.5}, lambda quick: [{}],
               lambda pts, rows: ClaimRecord("fine", ["k"], {}, [1.0], [0.5], [0.5], True, 0.5))
    monkeypatch.setattr(registry, "CLAIMS", {"fine": ok})
    readme = tmp_path / "R.md"
    readme.write_text(f"intro\n{README_BEGIN}\nold table\n{README_END}\nrest\n")
    assert main(["verify", "--markdown", "--only", "fine", "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert "old table" not in text and "| fine | k |" in text
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
