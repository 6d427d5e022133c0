# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. The bounds as objects: look up, evaluate, compose, compare
#
# Every statement of Gupta, Parulekar, Price, Xun (NeurIPS 2024) and of its predecessors is an
# exact SymPy expression in `bounds`, with its provenance (VERBATIM, DERIVED, ...). This notebook
# looks one up, evaluates it, composes two statements and compares bounds (exponents, a table,
# a crossover).

# %%
QUICK = True  # size parameter (no simulation here; kept for uniformity)

# %%
import numpy as np

from diffbounds import bounds

# %% [markdown]
# ## Look up
# A statement knows its expression, constants, hypotheses and source.

# %%
thm = bounds.get("gupta2024.theorem_1_2")
print(thm.key, "|", thm.status, "|", thm.quantity)
print(thm.source)
thm.expr

# %%
[k for k in bounds.keys() if k.startswith("gupta2024.lemma")]

# %% [markdown]
# ## Evaluate
# Numbers or NumPy arrays; the absolute constant `C` defaults to 1.

# %%
eps = np.array([0.2, 0.1, 0.05])
thm.evaluate(D=2, P=100, Theta=2, d=10, epsilon=eps, gamma=0.01)

# %%
# Bad input is an error naming the argument, before any work:
try:
    thm.evaluate(D=2, P=100, Theta=2, d=10, epsilon=0.1)
except ValueError as exc:
    print(exc)

# %% [markdown]
# ## Compose
# Substitute a statement for a symbol: Corollary B.6's TV bound with the step count N of
# Lemma 1.3 inserted. The result is a DERIVED statement recording where each factor came from.

# %%
b6 = bounds.get("gupta2024.corollary_b6")
composed = bounds.compose(b6, {"N": "gupta2024.lemma_1_3"}, key="demo.b6_with_lemma_1_3_steps")
print(composed.status)
composed.expr

# %% [markdown]
# ## Compare
# Exponents in each symbol towards its regime, a table, and a crossover.

# %%
KEYS = ("gupta2024.theorem_1_2", "gupta2024.theorem_1_2_derived",
        "block2020.samples")
for key in KEYS:
    st = bounds.get(key)
    print(f"{key:32s} eps^{st.exponent('epsilon')}  "
          f"gamma: {bounds.growth(st.expr, 'gamma')}")

# %%
print(bounds.table(["gupta2024.theorem_1_2", "gupta2024.theorem_1_2_derived",
                    "block2020.samples"], symbols=["epsilon", "gamma", "d"]))

# %%
fixed = dict(D=2, P=100, Theta=2, d=10, delta=0.01, gamma=0.01, m_2=2)
cr = bounds.crossover("gupta2024.theorem_1_2_derived", "block2020.samples", "epsilon",
                      bracket=(1e-4, 0.5), **fixed)
print(cr.message)
print("larger below:", cr.larger_below, "| larger above:", cr.larger_above)

# %% [markdown]
# The derived (proof-level) bound needs more samples than Block et al.'s L² route below
# this ε, and fewer above it; `diffbounds figures --only bounds_comparison` draws these curves.
