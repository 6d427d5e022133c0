"""The derivation check and the proofs' constant arithmetic (notes §3.3, §3.6)."""

from fractions import Fraction

import sympy as sp

from diffbounds import bounds
from diffbounds.bounds import checks


def _pair(stated, derived):
    (pc,) = [p for p in checks.derivation_check() if p.stated == stated and p.derived == derived]
    return {r.symbol: r for r in pc.rows}, pc


def test_theorem_1_2_epsilon_exponent_is_flagged():
    rows, pc = _pair("gupta2024.theorem_1_2", "gupta2024.theorem_1_2_derived")
    eps = rows["epsilon"]
    assert eps.stated_exponent == -3 and eps.derived_exponent == -5
    assert eps.verdict == "MISMATCH"
    # every other polynomial exponent agrees; log differences are all explained by Õ
    assert [r.symbol for r in pc.mismatches] == ["epsilon"]
    assert rows["gamma"].verdict == "agree" and rows["gamma"].derived_log_power == 3
    assert rows["d"].verdict == "hidden" and rows["d"].derived_exponent == 2


def test_the_results_come_from_the_algebra():
    """The check reads the registered expressions: a derived statement with the stated
    eps^-3 would agree."""
    stated = bounds.get("gupta2024.theorem_1_2")
    fake = bounds.Statement(key="test.fake_derived", expr=stated.expr * sp.log(bounds.symbols.d),
                            quantity="samples", source=bounds.Source("test", "x"),
                            status="DERIVED", compare_with=("gupta2024.theorem_1_2",))
    pc = checks._compare(stated, fake)
    assert pc.agrees
    assert {r.symbol: r.verdict for r in pc.rows}["d"] == "hidden"


def test_step_count_conflation_is_flagged():
    rows, _ = _pair("gupta2024.theorem_c3_steps", "gupta2024.steps_derived")
    assert rows["epsilon"].stated_exponent == 0 and rows["epsilon"].derived_exponent == -2
    assert rows["epsilon"].verdict == "MISMATCH"
    rows, _ = _pair("gupta2024.theorem_c2_steps", "gupta2024.steps_derived")
    assert rows["epsilon"].verdict == "MISMATCH"


def test_theorem_c2_sample_count_is_consistent_with_lemma_c1():
    rows, pc = _pair("gupta2024.theorem_c2", "gupta2024.theorem_c2_derived")
    assert pc.agrees
    assert rows["epsilon"].stated_exponent == rows["epsilon"].derived_exponent == -3


def test_constant_arithmetic_against_fractions():
    got = {c.name: c for c in checks.constant_checks()}
    F = Fraction
    a1 = F(1, 16) - F(1, 30) - F(1, 50)
    assert a1 == F(11, 1200)
    assert got["Lemma A.1: net margin 1/16 - 1/30 - 1/50"].value == str(a1)
    assert got["Lemma A.1: net margin 1/16 - 1/30 - 1/50"].holds
    a6 = F(1, 128) - F(1, 250) - F(2, 1000)
    assert got["Lemma A.6: 1/128 - 1/250 - 2/1000 >= 1/600"].value == str(a6)
    assert got["Lemma A.6: 1/128 - 1/250 - 2/1000 >= 1/600"].holds == (a6 >= F(1, 600))
    final = F(1, 600) - F(2, 2000)
    slip = got["Lemma A.6: final constant 1/600 - 2/2000 >= 1/1000"]
    assert slip.value == str(final) and slip.holds == (final >= F(1, 1000)) and not slip.holds
    assert got["Lemma A.6: final constant 1/600 - 2/2000 > 0"].holds


def test_inequality_checks_hold():
    for c in checks.inequality_checks():
        assert c.holds, c.name


def test_instance_checks_expose_lemma_4_2():
    by_name = {c.name: c for c in checks.instance_checks()}
    literal = [c for n, c in by_name.items() if "literal" in n][0]
    natural = [c for n, c in by_name.items() if "sqrt(2 log m)" in n][0]
    assert not literal.holds and natural.holds
    assert all(c.holds for n, c in by_name.items() if n.startswith("Lemma 4.1"))


def test_report_renders_every_section():
    text = checks.format_report(checks.run_checks())
    assert "gupta2024.theorem_1_2  vs  gupta2024.theorem_1_2_derived" in text
    assert "MISMATCH: exponent of epsilon differs" in text
    assert "[FAILS] Lemma A.6: final constant" in text
