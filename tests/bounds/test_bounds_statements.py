"""Every registered statement: present, positive and finite at its reference point, with the
exponents and status tags of the notes (shared/reference/paper-notes.md)."""

import math

import numpy as np
import pytest
import sympy as sp

from diffbounds import bounds
from diffbounds.bounds.symbols import REFERENCE_POINT

REQUIRED = [
    "gupta2024.theorem_1_2", "gupta2024.theorem_c2", "gupta2024.theorem_c3",
    "gupta2024.lemma_1_3", "gupta2024.lemma_1_4", "gupta2024.lemma_a1", "gupta2024.lemma_a2",
    "gupta2024.lemma_c1", "gupta2024.lemma_b1", "gupta2024.lemma_b4", "gupta2024.lemma_b5",
    "gupta2024.corollary_b6", "gupta2024.theorem_b7", "gupta2024.lemma_4_1",
    "gupta2024.lemma_4_2", "gupta2024.early_stop", "gupta2024.theorem_1_2_derived",
    "benton2024.steps", "benton2024.kl", "block2020.samples", "chen2023.steps",
    "chen_lee_lu2023.steps", "chen_huang_zhao_wang2023.samples",
]

# Status tags as in the notes (§3-§8): an UNVERIFIED form must never be promoted.
STATUS = {
    "gupta2024.theorem_1_2": "VERBATIM", "gupta2024.theorem_c2": "VERBATIM",
    "gupta2024.theorem_c3": "VERBATIM", "gupta2024.lemma_1_3": "VERBATIM",
    "gupta2024.lemma_a1": "VERBATIM", "gupta2024.lemma_c1": "VERBATIM",
    "gupta2024.corollary_b6": "VERBATIM", "gupta2024.theorem_b7": "VERBATIM",
    "gupta2024.lemma_4_1": "VERBATIM", "gupta2024.lemma_4_2": "DERIVED",
    "gupta2024.lemma_4_2_claim": "VERBATIM", "gupta2024.theorem_1_2_derived": "DERIVED",
    "gupta2024.steps_derived": "DERIVED", "benton2024.steps": "VERBATIM",
    "benton2024.kl": "UNVERIFIED", "benton2024.corollary_1": "UNVERIFIED",
    "block2020.samples": "VERBATIM", "block2020.intermediate": "OCR-GARBLED",
    "chen2023.steps": "UNVERIFIED", "chen2023.steps_lipschitz": "UNVERIFIED",
    "chen_lee_lu2023.steps": "VERBATIM-SECONDARY", "chen_huang_zhao_wang2023.samples": "VERBATIM",
    "zhang2024.tv": "VERBATIM-SECONDARY", "oko2023.tv": "UNVERIFIED",
}

D_ = sp.Symbol("D", positive=True)
Cd = sp.Symbol("C", positive=True) * sp.Symbol("d", positive=True)
OO = sp.oo
# (exponent, log power) per symbol, read off the formulas of the notes by hand.
EXPONENTS = {
    # §3.2: d^2 P D / eps^3 * log Theta * log^3(1/gamma)
    "gupta2024.theorem_1_2": {"d": (2, 0), "P": (1, 0), "D": (1, 0), "Theta": (0, 1),
                              "epsilon": (-3, 0), "gamma": (0, 3)},
    "gupta2024.theorem_c3": {"d": (2, 0), "epsilon": (-3, 0), "gamma": (0, 3)},
    # §3.6 corrected: eps^-5, same d, P, D, Theta, gamma
    "gupta2024.theorem_1_2_derived": {"d": (2, None), "P": (1, 0), "D": (1, 0),
                                      "Theta": (0, 1), "epsilon": (-5, None), "gamma": (0, 3)},
    # §3.4: N (d + log 1/delta) P D / eps^3 * log(max(m2,1) Theta/delta) * log((m2+1/m2)/gamma)
    "gupta2024.theorem_c2": {"N": (1, 0), "d": (1, 0), "epsilon": (-3, 0), "Theta": (0, 1),
                             "gamma": (0, 1), "delta": (0, 2), "P": (1, 0), "D": (1, 0)},
    "gupta2024.theorem_c3_steps": {"d": (1, 0), "gamma": (0, 2)},
    # §3.3 Lemma 1.4 / A.1 / C.1
    "gupta2024.lemma_1_4": {"d": (1, 0), "epsilon": (-2, 0), "delta_score": (-1, 0),
                            "Theta": (0, 1), "delta_train": (0, 2), "P": (1, 0), "D": (1, 0)},
    "gupta2024.lemma_a1": {"epsilon": (-2, 0), "delta_score": (-1, 0), "m_2": (0, 1)},
    "gupta2024.lemma_a2": {"H": (0, 1), "epsilon": (-2, 0), "delta_score": (-1, 0)},
    "gupta2024.lemma_c1": {"N": (1, 0), "epsilon": (-2, 0), "delta_score": (-1, 0)},
    # §4: Lemma 1.3 N = d/(eps^2+delta^2) log^2(1/gamma): bounded in eps when delta is fixed
    "gupta2024.lemma_1_3": {"d": (1, 0), "gamma": (0, 2), "epsilon": (0, 0), "delta": (0, 0)},
    "gupta2024.lemma_b1": {"epsilon": (2, 0), "T": (1, 0), "gamma": (0, 1)},
    "gupta2024.lemma_b4": {"d": (sp.Rational(1, 2), 0), "N": (sp.Rational(-1, 2), 0),
                           "T": (1, 0), "gamma": (0, 1)},
    "gupta2024.lemma_b5": {"d": (sp.Rational(1, 2), 0), "m_2": (1, 0), "T": (-OO, 0)},
    "gupta2024.theorem_b7": {"d": (1, 2), "gamma": (0, 2), "m_2": (0, 2)},
    "gupta2024.steps_derived": {"d": (1, None), "epsilon": (-2, None), "gamma": (0, 2)},
    # §6: Lemma 4.1 and 4.2
    "gupta2024.lemma_4_1": {"R": (2, 0), "epsilon": (-2, 0), "sigma": (-2, 0)},
    "gupta2024.lemma_4_1_eta": {"R": (-2, 0), "epsilon": (2, 0), "sigma": (2, 0)},
    "gupta2024.lemma_4_1_l2_gap": {"epsilon": (2, 0), "sigma": (-2, 0)},
    "gupta2024.lemma_4_2_claim": {"S": (2, 0), "m": (-1, 0), "sigma": (-4, 0)},
    "gupta2024.lemma_4_2": {"S": (2, 0), "x_0": (-OO, 0)},
    # §2.6: t_stop = min(gamma, gamma^2 m2^2/d) ~ gamma^2 as gamma -> 0; W2 at t_stop ~ gamma
    "gupta2024.early_stop": {"gamma": (2, 0), "d": (-1, 0)},
    "gupta2024.early_stop_w2_at_stop": {"gamma": (1, 0), "m_2": (1, 0)},
    # §5 / §8 predecessors
    "benton2024.steps": {"d": (1, 0), "epsilon": (-2, 0), "gamma": (0, 2)},
    "block2020.samples": {"d": (sp.Rational(5, 2), 0), "gamma": (-3, 0), "epsilon": (-2, 0),
                          "Theta": (2 * D_, 0), "P": (D_, 0), "D": (OO, 0), "delta": (0, 1)},
    "block2020.per_step": {"d": (sp.Rational(5, 2), 0), "R": (3, 0), "sigma": (-3, 0)},
    "chen_lee_lu2023.steps": {"d": (1, 0), "epsilon": (-1, 0), "gamma": (0, 1)},
    "chen_huang_zhao_wang2023.samples": {"epsilon": (-Cd, 0), "d": (OO, 0)},
    "chen2023.steps": {"epsilon": (-2, 0), "gamma": (-8, 0)},
    "chen2023.steps_lipschitz": {"L": (2, 0), "d": (1, 0), "epsilon": (-2, 0)},
    "zhang2024.tv": {"m": (sp.Rational(-1, 2), 0)},
}


def test_required_keys_are_registered():
    missing = [k for k in REQUIRED if k not in bounds.keys()]
    assert not missing


@pytest.mark.parametrize("key", sorted(STATUS))
def test_status_matches_the_notes(key):
    assert bounds.get(key).status == STATUS[key]


@pytest.mark.parametrize("key", bounds.keys())
def test_positive_finite_at_reference_point(key):
    st = bounds.get(key)
    pt = st.reference_point
    assert set(pt) == set(st.parameters)
    v = st.evaluate(pt)
    assert isinstance(v, float) and math.isfinite(v) and v > 0


@pytest.mark.parametrize("key", bounds.keys())
def test_every_statement_has_provenance(key):
    st = bounds.get(key)
    assert st.source.work and st.source.statement
    assert st.status in bounds.STATUSES
    for c in st.constants:
        assert c.name == "C" or c.name.startswith("C_")


@pytest.mark.parametrize("key", sorted(EXPONENTS))
def test_exponents_match_the_notes(key):
    st = bounds.get(key)
    for name, (e, lp) in EXPONENTS[key].items():
        got = st.exponent(name)
        if e in (OO, -OO):
            assert got == e, (key, name, got, e)
        else:
            assert sp.simplify(got - e) == 0, (key, name, got, e)
        if lp is not None:
            assert st.log_power(name) == lp, (key, name, st.log_power(name), lp)


def test_growth_classes():
    b = bounds.get("block2020.samples")
    assert b.growth("D") == "exponential"
    assert b.growth("Theta") == "polynomial"
    assert b.growth("delta") == "polylog"
    assert bounds.get("gupta2024.theorem_1_2").growth("gamma") == "polylog"
    assert bounds.get("gupta2024.lemma_1_3").growth("epsilon") == "constant"


# ---- evaluation against independent formulas (typed from the notes with math) -----------------
def _ref(*names):
    return {n: REFERENCE_POINT[bounds.symbols.as_symbol(n)] for n in names}


def test_evaluate_theorem_1_2_against_formula():
    v = _ref("d", "P", "D", "Theta", "epsilon", "gamma")
    want = (v["d"] ** 2 * v["P"] * v["D"] / v["epsilon"] ** 3 * math.log(v["Theta"])
            * math.log(1 / v["gamma"]) ** 3)
    assert bounds.get("gupta2024.theorem_1_2").evaluate(**v) == pytest.approx(want, rel=1e-13)
    assert bounds.get("gupta2024.theorem_1_2").evaluate(C=7.0, **v) == pytest.approx(
        7 * want, rel=1e-13)


def test_evaluate_theorem_b7_against_formula():
    v = _ref("d", "m_2", "epsilon", "delta", "gamma")
    T = math.log((math.sqrt(v["d"]) + v["m_2"]) / (v["epsilon"] + v["delta"]))
    want = v["d"] * (T + math.log(1 / v["gamma"])) ** 2 / (v["epsilon"] ** 2 + v["delta"] ** 2)
    assert bounds.get("gupta2024.theorem_b7").evaluate(**v) == pytest.approx(want, rel=1e-13)


def test_evaluate_block2020_against_formula():
    v = _ref("d", "gamma", "epsilon", "Theta", "P", "D", "delta")
    want = (v["d"] ** 2.5 / (v["gamma"] ** 3 * v["epsilon"] ** 2)
            * (v["Theta"] ** 2 * v["P"]) ** v["D"] * math.sqrt(v["D"]) * math.log(1 / v["delta"]))
    assert bounds.get("block2020.samples").evaluate(**v) == pytest.approx(want, rel=1e-12)


def test_evaluate_corollary_b6_against_formula():
    v = _ref("delta", "epsilon", "T", "gamma", "d", "N", "m_2")
    L = v["T"] + math.log(1 / v["gamma"])
    want = (v["delta"] + v["epsilon"] * math.sqrt(L) + math.sqrt(v["d"] / v["N"]) * L
            + (math.sqrt(v["d"]) + v["m_2"]) * math.exp(-v["T"]))
    assert bounds.get("gupta2024.corollary_b6").evaluate(**v) == pytest.approx(want, rel=1e-13)


def test_evaluate_lemma_4_2_against_formula():
    S, sigma, x0 = 40.0, 0.7, 2.5
    want = S ** 2 * 0.5 * math.erfc(x0 / (math.sqrt(2) * sigma)) / sigma ** 4
    got = bounds.get("gupta2024.lemma_4_2").evaluate(S=S, sigma=sigma, x_0=x0)
    assert got == pytest.approx(want, rel=1e-12)


def test_vectorized_evaluation_matches_scalar_loop():
    st = bounds.get("gupta2024.theorem_1_2_derived")
    pt = {s.name: v for s, v in st.reference_point.items()}
    eps = np.geomspace(1e-4, 0.5, 7)
    gam = np.geomspace(1e-6, 0.5, 7)
    vec = st.evaluate(**{**pt, "epsilon": eps, "gamma": gam})
    loop = [st.evaluate(**{**pt, "epsilon": e, "gamma": g}) for e, g in zip(eps, gam,
                                                                             strict=True)]
    assert vec.shape == (7,)
    np.testing.assert_allclose(vec, loop, rtol=1e-13)
    # broadcasting a column against a row
    grid = st.evaluate(**{**pt, "epsilon": eps[:, None], "d": np.array([[5.0, 50.0]])})
    assert grid.shape == (7, 2)
    assert grid[3, 1] == pytest.approx(st.evaluate(**{**pt, "epsilon": eps[3], "d": 50.0}),
                                       rel=1e-13)


def test_lambdify_is_cached():
    st = bounds.get("benton2024.steps")
    st.evaluate(d=3, epsilon=0.1, gamma=0.1)
    fn = st._fn
    st.evaluate(d=4, epsilon=0.1, gamma=0.1)
    assert st._fn is fn


def test_symbols_accepted_by_name_and_alias():
    st = bounds.get("gupta2024.theorem_1_2")
    assert st.exponent("epsilon") == st.exponent(bounds.symbols.epsilon) == st.exponent("eps")
    assert bounds.exponent("gupta2024.theorem_1_2", "epsilon") == -3


def test_hypotheses_are_evaluated_when_relational():
    st = bounds.get("gupta2024.lemma_b4")
    held = st.hypotheses_hold(T=5, gamma=0.01, N=100)
    assert all(v is True for v in held.values())
    held = st.hypotheses_hold(T=5, gamma=0.01, N=2)  # N >= log(1/gamma) = 4.6 violated
    assert False in held.values()
