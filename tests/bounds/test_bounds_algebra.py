"""Algebra: exponents (property-based), compose, soft_o, ratio, crossover, monotonicity."""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from diffbounds import bounds
from diffbounds.bounds import Source, Statement
from diffbounds.bounds.symbols import (
    REFERENCE_POINT,
    SYMBOLS,
    D,
    N,
    P,
    Theta,
    d,
    direction,
    epsilon,
    gamma,
)

SRC = Source("test", "synthetic")
ALL = list(SYMBOLS.values())


def _stmt(expr, key="test.synthetic"):
    return Statement(key=key, expr=expr, quantity="samples", source=SRC, status="DERIVED")


def _L(x):
    return sp.log(x) if direction(x) == "oo" else sp.log(1 / x)


rationals = st.builds(lambda p, q: sp.Rational(p, q), st.integers(-12, 12), st.integers(1, 4))


# ---- exponent / log power on random monomial x log-power expressions -------------------------
@settings(max_examples=40, deadline=None)
@given(x=st.sampled_from(ALL), a=rationals, b=st.integers(0, 4),
       y=st.sampled_from(ALL), k=rationals, c=st.integers(1, 1000))
def test_exponent_and_log_power_of_monomials(x, a, b, y, k, c):
    assume(y != x)
    expr = c * x ** a * _L(x) ** b * y ** k
    dep = bounds.dependence(expr, x)
    assert dep.exponent == a
    assert dep.log_power == b
    want = "polynomial" if a != 0 else ("polylog" if b != 0 else "constant")
    assert dep.growth == want
    # the other symbol enters as a constant factor
    assert bounds.exponent(expr, y) == k


@settings(max_examples=30, deadline=None)
@given(x=st.sampled_from(ALL), a1=rationals, a2=rationals, b1=st.integers(0, 3),
       b2=st.integers(0, 3))
def test_exponent_of_a_sum_is_the_leading_term(x, a1, a2, b1, b2):
    assume((a1, b1) != (a2, b2))
    expr = x ** a1 * _L(x) ** b1 + 3 * x ** a2 * _L(x) ** b2
    # "leading" = larger growth towards the regime: larger exponent as x -> oo, smaller as x -> 0
    key = (lambda a, b: (a, b)) if direction(x) == "oo" else (lambda a, b: (-a, b))
    a, b = max((a1, b1), (a2, b2), key=lambda ab: key(*ab))
    assert bounds.exponent(expr, x) == a
    assert bounds.log_power(expr, x) == b


def test_exponent_of_exponentials_and_symbolic_powers():
    assert bounds.exponent((Theta ** 2 * P) ** D, D) == sp.oo
    assert bounds.exponent((Theta ** 2 * P) ** D, Theta) == 2 * D
    assert bounds.exponent(sp.exp(-bounds.symbols.T), "T") == -sp.oo
    assert bounds.growth(sp.exp(-bounds.symbols.T), "T") == "exponential"
    # exp(k log x) is x^k
    assert bounds.exponent(sp.exp(3 * sp.log(d) + 1), d) == 3


# ---- compose ---------------------------------------------------------------------------------
reg = lambda name, lo, hi: st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@settings(max_examples=25, deadline=None)
@given(eps=reg("epsilon", 1e-4, 0.5), gam=reg("gamma", 1e-8, 0.5), dd=reg("d", 1, 1e4),
       m2=reg("m_2", 0.05, 50), delta=reg("delta", 1e-6, 0.5))
def test_compose_then_evaluate_equals_evaluate_with_substituted_value(eps, gam, dd, m2, delta):
    c2 = bounds.get("gupta2024.theorem_c2")
    steps = bounds.get("gupta2024.steps_derived")
    base = dict(d=dd, P=1e3, D=4.0, Theta=5.0, epsilon=eps, gamma=gam, delta=delta, m_2=m2)
    n = steps.evaluate(d=dd, epsilon=eps, gamma=gam, m_2=m2)
    composed = bounds.compose(c2, {"N": steps})
    assert composed.evaluate(**base) == pytest.approx(c2.evaluate(N=n, **base), rel=1e-10)
    # the registered derivation is exactly this composition
    registered = bounds.get("gupta2024.theorem_1_2_derived")
    assert registered.evaluate(**base) == pytest.approx(c2.evaluate(N=n, **base), rel=1e-10)


@settings(max_examples=25, deadline=None)
@given(value=st.floats(1e-3, 0.9), dd=st.floats(1, 1e3))
def test_compose_with_an_expression(value, dd):
    st1 = bounds.get("benton2024.steps")
    comp = bounds.compose(st1, {epsilon: sp.sqrt(gamma)})
    assert comp.status == "DERIVED"
    want = st1.evaluate(d=dd, epsilon=math.sqrt(value), gamma=value)
    assert comp.evaluate(d=dd, gamma=value) == pytest.approx(want, rel=1e-12)
    # substitution by name string and by sympifiable string
    comp2 = bounds.compose("benton2024.steps", {"epsilon": "sqrt(gamma)"})
    assert comp2.evaluate(d=dd, gamma=value) == pytest.approx(want, rel=1e-12)


def test_compose_records_provenance_and_renames_constants():
    comp = bounds.compose("gupta2024.theorem_c2", {"N": "gupta2024.lemma_1_3"})
    assert comp.status == "DERIVED"
    rec = comp.derivation
    assert rec[0]["base"] == "gupta2024.theorem_c2"
    assert rec[1]["symbol"] == "N" and rec[1]["from"] == "gupta2024.lemma_1_3"
    # both statements have their own C: the inserted one is renamed apart
    assert {c.name for c in comp.constants} == {"C", "C_1"}
    assert rec[1]["renamed_constants"] == {"C": "C_1"}


def test_two_derivation_routes_agree():
    """C.2 rebuilt from Lemma C.1, with N from Theorem B.7, has the exponents of the
    registered Theorem 1.2 derivation (C.2 stated, with the same N)."""
    via_c1 = bounds.compose("gupta2024.theorem_c2_derived", {"N": "gupta2024.steps_derived"})
    direct = bounds.get("gupta2024.theorem_1_2_derived")
    for s in (d, P, D, Theta, epsilon, gamma):
        assert via_c1.exponent(s) == direct.exponent(s)
    assert via_c1.exponent(epsilon) == -5


# ---- soft_o ----------------------------------------------------------------------------------
def test_soft_o_of_the_derived_theorem_is_the_corrected_bound_of_the_notes():
    # notes §9: m_corrected = d^2 P D / eps^5 * log(Theta) * log(1/gamma)^3
    want = d ** 2 * P * D / epsilon ** 5 * sp.log(Theta) * sp.log(1 / gamma) ** 3
    got = bounds.soft_o("gupta2024.theorem_1_2_derived").expr
    assert sp.simplify(got - want) == 0


def test_soft_o_keeps_the_displayed_form():
    st1 = bounds.get("gupta2024.theorem_1_2")
    assert sp.simplify(st1.soft_o().expr - st1.expr.subs(bounds.symbols.C, 1)) == 0
    # N of the proof: d log^2(1/gamma)/eps^2 (notes §3.6)
    got = bounds.soft_o("gupta2024.steps_derived").expr
    assert sp.simplify(got - d * sp.log(1 / gamma) ** 2 / epsilon ** 2) == 0
    # a sum that is not dominated in every symbol is kept
    got = bounds.soft_o("gupta2024.lemma_1_3").expr
    assert sp.simplify(got - d * sp.log(1 / gamma) ** 2
                       / (epsilon ** 2 + bounds.symbols.delta ** 2)) == 0


# ---- ratio -----------------------------------------------------------------------------------
def test_ratio_evaluates_as_quotient_and_keeps_constants_apart():
    r = bounds.ratio("block2020.samples", "gupta2024.theorem_1_2")
    assert {c.name for c in r.constants} == {"C", "C_1"}
    v = dict(d=10.0, P=100.0, D=3.0, Theta=2.0, epsilon=0.05, gamma=0.1, delta=0.01)
    a = bounds.get("block2020.samples").evaluate(
        **{k: v[k] for k in ("d", "P", "D", "Theta", "epsilon", "gamma", "delta")})
    b = bounds.get("gupta2024.theorem_1_2").evaluate(
        **{k: v[k] for k in ("d", "P", "D", "Theta", "epsilon", "gamma")})
    assert r.evaluate(**v) == pytest.approx(a / b, rel=1e-12)
    assert r.exponent("D") == sp.oo
    assert r.exponent("epsilon") == 1


# ---- crossover -------------------------------------------------------------------------------
def test_crossover_of_two_monomials_matches_closed_form():
    a = _stmt(3 * epsilon ** -2, "test.a")
    b = _stmt(epsilon ** -3, "test.b")
    res = bounds.crossover(a, b, "epsilon")
    assert res.crosses and len(res.roots) == 1
    assert res.roots[0] == pytest.approx(1 / 3, rel=1e-10)
    # b = eps^-3 dominates as eps -> 0
    assert res.larger_below == "test.b" and res.larger_above == "test.a"


def test_crossover_registered_bounds_closed_form():
    """Theorem 1.2 (eps^-3) vs BMR20 (eps^-2): both monomials in eps, so they cross where
    c1 eps^-3 = c2 eps^-2, i.e. eps = c1/c2 with c_i the values at eps = 1."""
    fixed = dict(d=10.0, P=20.0, D=2.0, Theta=2.0, gamma=0.1, delta=0.1)
    a, b = bounds.get("gupta2024.theorem_1_2"), bounds.get("block2020.samples")
    c1 = a.evaluate(epsilon=1.0, **{k: fixed[k] for k in ("d", "P", "D", "Theta", "gamma")})
    c2 = b.evaluate(epsilon=1.0, **fixed)
    res = bounds.crossover(a, b, "epsilon", bracket=(1e-8, 1.0), **fixed)
    assert res.roots == [pytest.approx(c1 / c2, rel=1e-9)]


def test_crossover_reports_no_crossing_clearly():
    a = _stmt(2 * epsilon ** -2, "test.a")
    b = _stmt(epsilon ** -2, "test.b")
    res = bounds.crossover(a, b, "epsilon", bracket=(1e-6, 1.0))
    assert not res.crosses and res.roots == []
    assert "never cross" in res.message and "test.a is larger throughout" in res.message
    same = bounds.crossover(a, a, "epsilon", bracket=(1e-6, 1.0))
    assert "coincide" in same.message


# ---- monotonicity where the statement implies it ---------------------------------------------
# (key, symbol, +1 if the bound grows with the symbol, -1 if it grows as the symbol shrinks)
MONOTONE = [
    ("gupta2024.theorem_1_2", "epsilon", -1), ("gupta2024.theorem_1_2", "d", +1),
    ("gupta2024.theorem_1_2", "gamma", -1), ("gupta2024.theorem_1_2", "Theta", +1),
    ("gupta2024.theorem_1_2_derived", "epsilon", -1), ("gupta2024.theorem_1_2_derived", "d", +1),
    ("gupta2024.theorem_1_2_derived", "gamma", -1), ("gupta2024.theorem_1_2_derived", "P", +1),
    ("gupta2024.theorem_c2", "N", +1), ("gupta2024.theorem_c2", "delta", -1),
    ("gupta2024.lemma_c1", "delta_score", -1), ("gupta2024.lemma_a1", "epsilon", -1),
    ("gupta2024.theorem_b7", "gamma", -1), ("gupta2024.steps_derived", "epsilon", -1),
    ("gupta2024.lemma_b4", "N", -1), ("gupta2024.lemma_b5", "T", -1),
    ("block2020.samples", "D", +1), ("block2020.samples", "gamma", -1),
    ("benton2024.steps", "epsilon", -1), ("chen_huang_zhao_wang2023.samples", "epsilon", -1),
    ("gupta2024.lemma_4_1", "R", +1), ("gupta2024.lemma_4_2", "x_0", -1),
]
RANGES = {"epsilon": (1e-3, 0.5), "gamma": (1e-6, 0.5), "delta": (1e-6, 0.5),
          "delta_score": (1e-4, 0.5), "delta_train": (1e-6, 0.5), "d": (2.0, 1e4),
          "P": (10.0, 1e6), "D": (1.0, 10.0), "Theta": (1.5, 100.0), "m_2": (0.1, 10.0),
          "N": (10.0, 1e5), "T": (1.0, 20.0), "R": (10.0, 1e3), "sigma": (0.1, 2.0),
          "S": (20.0, 100.0), "x_0": (0.5, 5.0), "t": (1e-4, 0.5), "m": (10.0, 1e5)}
# (d/eps)^(C d) overflows a float for large d: keep it representable
CASE_RANGES = {"chen_huang_zhao_wang2023.samples": {"d": (2.0, 30.0)}}


@settings(max_examples=20, deadline=None)
@given(case=st.sampled_from(MONOTONE), u=st.lists(st.floats(0, 1), min_size=20, max_size=20),
       factor=st.floats(1.01, 10.0))
def test_monotone_in_each_parameter(case, u, factor):
    key, name, sign = case
    stmt = bounds.get(key)
    ranges = {**RANGES, **CASE_RANGES.get(key, {})}
    vals = {}
    for i, s in enumerate(stmt.parameters):
        lo, hi = ranges[s.name]
        vals[s.name] = math.exp(math.log(lo) + u[i] * (math.log(hi) - math.log(lo)))
    lo, hi = ranges[name]
    x = vals[name]
    x2 = x * factor if x * factor <= hi else x / factor
    # monotonicity is a property of the formula over the whole box, which reaches outside some
    # statements' regimes (e.g. N < log(1/γ) for Lemma B.4): evaluate without the regime check
    f1 = stmt.evaluate(**vals, check_hypotheses=False)
    f2 = stmt.evaluate(**{**vals, name: x2}, check_hypotheses=False)
    grows = (f2 - f1) * (x2 - x) * sign
    assert grows >= -1e-12 * max(f1, f2), (key, name, vals, x2)


def test_reference_point_is_inside_every_regime():
    assert REFERENCE_POINT[Theta] > 1 and REFERENCE_POINT[gamma] < 1
    assert REFERENCE_POINT[N] >= math.log(1 / REFERENCE_POINT[gamma])
    assert np.isfinite(list(REFERENCE_POINT.values())).all()
