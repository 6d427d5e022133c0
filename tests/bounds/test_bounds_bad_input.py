"""Bad input fails early with an error naming the argument."""

import math

import numpy as np
import pytest
import sympy as sp

from diffbounds import bounds
from diffbounds.bounds import Source, Statement


def test_unknown_key_lists_close_matches():
    with pytest.raises(KeyError) as exc:
        bounds.get("gupta2024.theorem12")
    msg = str(exc.value)
    assert "gupta2024.theorem_1_2" in msg and "close matches" in msg
    assert not msg.startswith("'")  # readable, not a quoted KeyError repr
    with pytest.raises(TypeError, match="key"):
        bounds.get(12)


def test_missing_symbol_is_named():
    st = bounds.get("gupta2024.theorem_1_2")
    with pytest.raises(ValueError, match="missing value.*Theta"):
        st.evaluate(d=10, P=1, D=1, epsilon=0.1, gamma=0.1)


@pytest.mark.parametrize("value", [0.0, -1.0, math.nan, math.inf, np.array([0.1, -0.2])])
def test_non_positive_or_non_finite_values_are_rejected(value):
    st = bounds.get("benton2024.steps")
    with pytest.raises(ValueError, match="epsilon"):
        st.evaluate(d=10, epsilon=value, gamma=0.1)


def test_wrong_types_and_unknown_or_extra_symbols():
    st = bounds.get("benton2024.steps")
    with pytest.raises(TypeError, match="epsilon"):
        st.evaluate(d=10, epsilon="small", gamma=0.1)
    with pytest.raises(ValueError, match="unknown symbol 'epsilonn'.*epsilon"):
        st.evaluate(d=10, epsilonn=0.1, gamma=0.1)
    with pytest.raises(ValueError, match="Theta not in this statement"):
        st.evaluate(d=10, epsilon=0.1, gamma=0.1, Theta=2)
    with pytest.raises(ValueError, match="broadcast"):
        st.evaluate(d=np.ones(3), epsilon=np.full(4, 0.1), gamma=0.1)


def test_non_finite_result_is_an_error_not_a_nan():
    # outside the regime gamma < d, sqrt(log(d/gamma)) is the root of a negative number
    st = bounds.get("gupta2024.lemma_1_3_tv")
    with pytest.raises(ValueError, match="not finite"):
        st.evaluate(d=1.0, gamma=2.0, delta=0.1, epsilon=0.1)
    with pytest.raises(ValueError, match="not finite"):
        st.evaluate(d=1.0, gamma=np.array([0.5, 2.0]), delta=0.1, epsilon=0.1)


def test_negative_bound_outside_the_regime_is_an_error():
    st = bounds.get("gupta2024.theorem_1_2")  # log(Theta) < 0 for Theta < 1
    # issue 13: the violated hypothesis is now named first; the negative value is still
    # refused when the hypothesis check is explicitly switched off
    with pytest.raises(ValueError, match="hypothesis Theta > 1 is violated at Theta=0.5"):
        st.evaluate(d=10, P=10, D=2, Theta=0.5, epsilon=0.1, gamma=0.1)
    with pytest.raises(ValueError, match="negative.*Theta > 1"):
        st.evaluate(d=10, P=10, D=2, Theta=0.5, epsilon=0.1, gamma=0.1, check_hypotheses=False)


def test_compose_rejects_absent_symbol_and_bad_values():
    with pytest.raises(ValueError, match="Theta does not occur in benton2024.steps"):
        bounds.compose("benton2024.steps", {"Theta": 2})
    with pytest.raises(TypeError, match="substitutions"):
        bounds.compose("benton2024.steps", [("d", 2)])
    with pytest.raises(ValueError, match="positive"):
        bounds.compose("benton2024.steps", {"d": -3})
    with pytest.raises(ValueError, match="unknown symbol"):
        bounds.compose("benton2024.steps", {"dd": 3})
    with pytest.raises(ValueError, match="substitutions\\[d\\]"):
        bounds.compose("benton2024.steps", {"d": sp.Symbol("zeta", positive=True)})


def test_exponent_of_unknown_symbol():
    with pytest.raises(ValueError, match="unknown symbol"):
        bounds.get("benton2024.steps").exponent("epsilom")


def test_crossover_bad_input():
    with pytest.raises(ValueError, match="bracket"):
        bounds.crossover("benton2024.steps", "chen_lee_lu2023.steps", "epsilon",
                         bracket=(1.0, 0.1), d=10, gamma=0.1)
    with pytest.raises(ValueError, match="missing value.*gamma"):
        bounds.crossover("benton2024.steps", "chen_lee_lu2023.steps", "epsilon", d=10)
    with pytest.raises(ValueError, match="occurs in neither"):
        bounds.crossover("benton2024.steps", "chen_lee_lu2023.steps", "Theta", d=10, gamma=0.1)
    with pytest.raises(ValueError, match="varied symbol"):
        bounds.crossover("benton2024.steps", "chen_lee_lu2023.steps", "epsilon", d=10,
                         gamma=0.1, epsilon=0.1)


def test_table_bad_input():
    with pytest.raises(ValueError, match="format"):
        bounds.table(["benton2024.steps"], format="html")
    with pytest.raises(KeyError, match="close matches"):
        bounds.table(["benton2024.step"])


def test_statement_validation():
    src = Source("test", "x")
    with pytest.raises(ValueError, match="status"):
        Statement(key="t.x", expr=bounds.symbols.d, quantity="samples", source=src,
                  status="PROVEN")
    with pytest.raises(ValueError, match="quantity"):
        Statement(key="t.x", expr=bounds.symbols.d, quantity="apples", source=src,
                  status="DERIVED")
    with pytest.raises(ValueError, match="not one of the shared symbols"):
        Statement(key="t.x", expr=sp.Symbol("d"), quantity="samples", source=src,
                  status="DERIVED")
    with pytest.raises(ValueError, match="already registered"):
        bounds.register(bounds.get("benton2024.steps"))
