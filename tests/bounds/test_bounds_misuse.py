"""Issue 13 §2: a bound is evaluated only inside its statement's hypotheses, unless the caller
opts out explicitly; booleans are not numbers."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from diffbounds import bounds
from diffbounds.bounds import symbols

B6 = bounds.get("gupta2024.corollary_b6")
INSIDE = dict(N=100, T=2.0, delta=0.1, d=3, epsilon=0.1, gamma=0.1, m_2=1.0)


def test_corollary_b6_outside_its_hypotheses_raises_by_default():
    # the example: T = 0.5 violates T >= 1, d=True is not a dimension, delta = 1.5 is
    # not a probability
    assert B6.hypotheses_hold(T=0.5)["T >= 1"] is False
    with pytest.raises(TypeError, match="^d: .*bool"):
        B6.evaluate(**{**INSIDE, "T": 0.5, "delta": 1.5, "d": True})
    with pytest.raises(ValueError, match=r"hypothesis T >= 1 is violated at T=0\.5"):
        B6.evaluate(**{**INSIDE, "T": 0.5})
    with pytest.raises(ValueError, match="delta is a probability and must be < 1"):
        B6.evaluate(**{**INSIDE, "delta": 1.5})
    with pytest.raises(ValueError, match=r"N >= log\(1/gamma\)"):
        B6.evaluate(**{**INSIDE, "N": 1, "gamma": 0.01})


def test_array_values_name_the_first_violating_value_and_count():
    with pytest.raises(ValueError, match=r"T=0\.5 \(2 value\(s\)\)"):
        B6.evaluate(**{**INSIDE, "T": np.array([2.0, 0.5, 0.7])})
    with pytest.raises(TypeError, match="^d: .*bool"):
        B6.evaluate(**{**INSIDE, "d": np.array([True, False])})


def test_explicit_opt_out_evaluates_the_expression_outside_the_regime():
    vals = {**INSIDE, "T": 0.5, "delta": 1.5}
    got = B6.evaluate(**vals, check_hypotheses=False)
    # oracle: SymPy's own substitution, not the lambdified function
    subs = {symbols.as_symbol(k): v for k, v in vals.items()}
    subs.update({c: 1 for c in B6.constants})
    assert got == pytest.approx(float(sp.N(B6.expr.subs(subs), 30)), rel=1e-12)
    with pytest.raises(TypeError, match="^check_hypotheses"):
        B6.evaluate(**INSIDE, check_hypotheses="no")


@pytest.mark.parametrize("st", bounds.statements(), ids=lambda s: s.key)
def test_every_statement_evaluates_at_its_reference_point(st):
    # the documented reference point lies inside every statement's hypotheses
    pt = {s.name: v for s, v in st.reference_point.items()}
    assert all(v is not False for v in st.hypotheses_hold(**pt).values())
    assert np.isfinite(st.evaluate(**pt))


@pytest.mark.parametrize("symbol", ["gamma", "Theta", "epsilon"])
def test_crossover_default_brackets_stay_inside_the_hypotheses(symbol):
    a, b = bounds.get("gupta2024.theorem_1_2"), bounds.get("block2020.samples")
    fixed = {s.name: v for st in (a, b) for s, v in st.reference_point.items()
             if s.name != symbol}
    bounds.crossover(a, b, symbol, **fixed)  # used to evaluate at gamma = 1 / Theta = 1


def test_crossover_bracket_outside_the_hypotheses_raises_unless_opted_out():
    a, b = bounds.get("gupta2024.theorem_1_2"), bounds.get("block2020.samples")
    fixed = {s.name: v for st in (a, b) for s, v in st.reference_point.items()
             if s.name != "Theta"}
    with pytest.raises(ValueError, match="hypothesis Theta > 1 is violated"):
        bounds.crossover(a, b, "Theta", bracket=(0.5, 10.0), **fixed)
    with pytest.raises(ValueError, match="negative"):  # log(Theta) < 0 below 1: still refused
        bounds.crossover(a, b, "Theta", bracket=(0.5, 10.0), check_hypotheses=False, **fixed)


def test_cli_outside_hypotheses_is_the_explicit_opt_out(capsys):
    from diffbounds.cli import main

    args = ["bounds", "eval", "gupta2024.corollary_b6", "N=100", "T=0.5", "d=3", "delta=0.1",
            "epsilon=0.1", "gamma=0.1", "m_2=1"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "T >= 1 is violated" in err[0] and "--outside-hypotheses" in err[0]
    assert main(args + ["--outside-hypotheses"]) == 0
    out = capsys.readouterr().out
    assert float(out.rsplit("=", 1)[1]) == pytest.approx(
        B6.evaluate(N=100, T=0.5, d=3, delta=0.1, epsilon=0.1, gamma=0.1, m_2=1.0,
                    check_hypotheses=False), rel=1e-5)
