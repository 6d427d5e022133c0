"""``diffbounds bounds ...`` through claims.cli.main."""

import json

import pytest

from diffbounds.cli import main


def run(capsys, *argv):
    code = main(["bounds", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert "gupta2024.theorem_1_2 " in out and "UNVERIFIED" in out
    code, out, _ = run(capsys, "list", "--json", "--prefix", "benton2024")
    rows = json.loads(out)
    assert {r["key"] for r in rows} >= {"benton2024.steps", "benton2024.kl"}
    assert all(r["key"].startswith("benton2024") for r in rows)


def test_show(capsys):
    code, out, _ = run(capsys, "show", "gupta2024.theorem_1_2_derived")
    assert code == 0
    assert "Õ-form:      D*P*d**2*log(Theta)*log(1/gamma)**3/epsilon**5" in out
    assert "epsilon        exponent -5" in out
    code, out, _ = run(capsys, "show", "block2020.samples", "--json")
    info = json.loads(out)
    assert info["status"] == "VERBATIM"
    assert info["dependence"]["D"]["growth"] == "exponential"
    assert info["dependence"]["Theta"]["exponent"] == "2*D"


def test_eval_scalar_vector_and_json(capsys):
    from diffbounds import bounds

    want = bounds.get("benton2024.steps").evaluate(d=10, epsilon=0.1, gamma=0.01)
    code, out, _ = run(capsys, "eval", "benton2024.steps", "d=10", "epsilon=0.1", "gamma=0.01",
                       "--json")
    assert code == 0 and json.loads(out)["value"] == pytest.approx(want, rel=1e-12)
    code, out, _ = run(capsys, "eval", "benton2024.steps", "d=10", "epsilon=0.1,0.2",
                       "gamma=0.01")
    assert code == 0 and "=" in out
    code, out, _ = run(capsys, "eval", "gupta2024.theorem_1_2", "epsilon=0.01", "--reference",
                       "--json")
    assert code == 0 and json.loads(out)["values"]["epsilon"] == 0.01


def test_table_markdown_latex_json(capsys):
    code, out, _ = run(capsys, "table")
    assert code == 0
    assert "| gupta2024.theorem_1_2 |" in out and "ε^-3" in out and "ε^-5" in out
    assert "exponential in D" in out
    code, out, _ = run(capsys, "table", "--format", "latex", "gupta2024.theorem_1_2",
                       "block2020.samples")
    assert r"\begin{tabular}" in out and r"$\varepsilon^{-3}$" in out
    assert r"$\Theta^{2 D}$" in out
    code, out, _ = run(capsys, "table", "--json", "benton2024.steps")
    data = json.loads(out)
    cell = data["rows"][0]["cells"]["epsilon"]
    assert cell["exponent"] == "-2" and cell["text"] == "ε^-2"


def test_check_text_and_json(capsys):
    code, out, _ = run(capsys, "check")
    assert code == 0
    block = out.split("gupta2024.theorem_1_2  vs  gupta2024.theorem_1_2_derived")[1]
    eps_line = [ln for ln in block.splitlines() if ln.strip().startswith("epsilon")][0]
    assert eps_line.split()[1:5:2] == ["-3", "-5"]
    assert "MISMATCH" in eps_line
    assert "[FAILS] Lemma A.6: final constant" in out
    code, out, _ = run(capsys, "check", "--json")
    data = json.loads(out)
    pair = [p for p in data["derivation"] if p["stated"] == "gupta2024.theorem_1_2"][0]
    rows = {r["symbol"]: r for r in pair["rows"]}
    assert rows["epsilon"]["stated_exponent"] == "-3"
    assert rows["epsilon"]["derived_exponent"] == "-5"
    assert rows["epsilon"]["verdict"] == "MISMATCH"
    code, _, _ = run(capsys, "check", "--strict")
    assert code == 1


def test_compare_with_plot(capsys, tmp_path):
    path = tmp_path / "cmp.png"
    code, out, _ = run(capsys, "compare", "gupta2024.theorem_1_2", "block2020.samples",
                       "--vary", "epsilon", "--from", "1e-8", "--to", "1", "--set", "P=20",
                       "D=2", "Theta=2", "--plot", str(path))
    assert code == 0
    assert "cross at epsilon" in out
    code, out2, _ = run(capsys, "compare", "gupta2024.theorem_1_2", "block2020.samples",
                        "P=20", "D=2", "Theta=2", "--vary", "epsilon", "--from", "1e-8",
                        "--to", "1")
    assert out2.splitlines()[-1] == [ln for ln in out.splitlines() if "cross" in ln][0]
    assert path.exists() and path.stat().st_size > 0
    code, out, _ = run(capsys, "compare", "benton2024.steps", "chen_lee_lu2023.steps",
                       "--vary", "d", "--from", "1", "--to", "100", "--json")
    data = json.loads(out)
    assert code == 0 and len(data["grid"]) == 9 and data["crossover"]["crosses"] is False


def test_errors_exit_2_with_a_message(capsys):
    code, _, err = run(capsys, "show", "gupta2024.theorem12")
    assert code == 2 and "close matches" in err and "gupta2024.theorem_1_2" in err
    code, _, err = run(capsys, "eval", "benton2024.steps", "d=10")
    assert code == 2 and "missing value" in err and "epsilon" in err
    code, _, err = run(capsys, "eval", "benton2024.steps", "d=10", "epsilon=-1", "gamma=0.1")
    assert code == 2 and "epsilon" in err
    code, _, err = run(capsys, "eval", "benton2024.steps", "d=ten")
    assert code == 2 and "not a number" in err
    code, _, err = run(capsys, "compare", "benton2024.steps", "chen_lee_lu2023.steps",
                       "--vary", "Theta", "--from", "1", "--to", "2")
    assert code == 2 and "occurs in neither" in err
