"""Statements derived by composition, exactly as the appendix's proofs compose the lemmas
(notes §3.4 and §3.6). Registered after the statements they are built from."""

from __future__ import annotations

from diffbounds.bounds import _gupta2024 as _g
from diffbounds.bounds._registry import get, register
from diffbounds.bounds.algebra import compose
from diffbounds.bounds.statement import Source
from diffbounds.bounds.symbols import delta, delta_score, delta_train, epsilon, t

_PROOF = ("Gupta et al. 2024, proof of Theorem C.2: delta_train = delta, delta_score = eps', "
          "per-step accuracy eps'/sqrt(log((d + m_2 + 1/m_2)/gamma))")

# N of Theorem B.7 with its quantile parameter delta set to delta_score = eps' and its accuracy
# set to the per-step accuracy eps'/sqrt(log(...)).
register(compose(
    "gupta2024.theorem_b7", {epsilon: _g.EPS_PER_STEP, delta: epsilon},
    key="gupta2024.steps_derived",
    source=Source("derived", "Theorem B.7 with the settings of the proof of Theorem C.2",
                  note=_PROOF),
    compare_with=("gupta2024.theorem_c2_steps", "gupta2024.theorem_c3_steps"),
    description="the step count the proof of Theorem C.2 actually needs"))

# Theorem C.2's sample count rebuilt from Lemma C.1 (N kept free).
register(compose(
    "gupta2024.lemma_c1", {epsilon: _g.EPS_PER_STEP, delta_score: epsilon, delta_train: delta},
    key="gupta2024.theorem_c2_derived",
    source=Source("derived", "Lemma C.1 with the settings of the proof of Theorem C.2",
                  note=_PROOF),
    hidden=get("gupta2024.theorem_c2").hidden + get("gupta2024.lemma_c1").hidden,
    compare_with=("gupta2024.theorem_c2",),
    description="Theorem C.2's sample count (N free) rebuilt from Lemma C.1"))

# Theorem 1.2: Theorem C.2's sample count with the step count N of Theorem B.7.
register(compose(
    "gupta2024.theorem_c2", {"N": "gupta2024.steps_derived"},
    key="gupta2024.theorem_1_2_derived",
    source=Source("derived", "Theorem C.2 with N from Lemma 1.3 / Theorem B.7", note=_PROOF),
    hidden=get("gupta2024.theorem_1_2").hidden + get("gupta2024.theorem_c2").hidden,
    compare_with=("gupta2024.theorem_1_2", "gupta2024.theorem_c3"),
    parts={"steps": get("gupta2024.steps_derived").expr,
           "per_step_accuracy": _g.EPS_PER_STEP, "delta_score": epsilon, "delta_train": delta},
    description="the sample complexity that Theorem C.2 and its proof actually give"))

# W2(q_0, q_t) at the early-stopping time: O(gamma m_2).
register(compose(
    "gupta2024.early_stop_w2", {t: "gupta2024.early_stop"},
    key="gupta2024.early_stop_w2_at_stop",
    source=Source("derived", "W2 bound of the proof of Theorem C.2 at t = t_stop"),
    description="W2(q_0, q_{t_stop}) <~ gamma m_2"))
