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
# # 3. Your own property-based regression test
#
# `simulators.strategies` exports Hypothesis strategies (mixtures, seeds, diffusion times). Here
# we write a property of how score error propagates into sampling error, and run it.
#
# **Property.** For any well-conditioned 1-D mixture and a score error of norm ε/σ_t everywhere
# (`uniform_error`), the exact output laws of the sampler with and without the error satisfy
# TV ≤ ε·√(T + log(1/t_stop)) + tol — the ε-term of Corollary B.6 with constant 1 (Girsanov and
# Pinsker give √(KL/2) ≤ ε·√(T/2 + log(1/t_stop)/4 + O(1))).
# **Tolerance model.** The lattice's method error, estimated by recomputing at twice the
# spacing, plus 1e-3.

# %%
QUICK = True  # False: more examples, finer lattice

# %%
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from diffbounds.claims._propagation_common import tv_between
from diffbounds.simulators import schedule, uniform_error
from diffbounds.simulators.law1d import output_law
from diffbounds.simulators.strategies import mixtures

EXAMPLES, SPACING, N = (4, 0.1, 15) if QUICK else (50, 0.05, 50)
T, T_STOP = 4.0, 0.05


# %%
def tv_to_exact_chain(mix, eps, spacing):
    times = schedule.exponential(T, T_STOP, N)
    exact = output_law(mix, times, grid={"spacing": spacing})
    law = output_law(uniform_error(mix, eps), times, grid={"spacing": spacing})
    return tv_between(law, exact)


checked = []


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
@given(mix=mixtures(min_dim=1, max_dim=1, max_components=3, min_var=0.2, max_var=2.0),
       eps=st.floats(0.01, 0.3))
def test_score_error_propagates_at_most_linearly(mix, eps):
    tv = tv_to_exact_chain(mix, eps, SPACING)
    method_error = abs(tv - tv_to_exact_chain(mix, eps, 2 * SPACING))
    bound = eps * np.sqrt(T + np.log(1 / T_STOP))
    checked.append((eps, tv, bound))
    assert tv <= bound + method_error + 1e-3, (eps, tv, bound, method_error)


# %%
test_score_error_propagates_at_most_linearly()
for eps, tv, bound in checked[-EXAMPLES:]:
    print(f"eps={eps:.3f}  TV={tv:.4f}  bound={bound:.4f}  ratio={tv / bound:.2f}")
print("property held on", len(checked), "examples")

# %% [markdown]
# The examples Hypothesis drew, against the property's bound: every point lies under the
# diagonal (TV = bound) by at least the tolerance.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt

from diffbounds.figures import PALETTE, style

pts = np.array(checked[-EXAMPLES:])
with style():
    fig, ax = plt.subplots(figsize=(2.7, 2.2), layout="constrained")
    ax.loglog(pts[:, 2], pts[:, 1], "o", color=PALETTE[0], label="drawn examples")
    lim = np.array([pts[:, 1:].min() / 2, pts[:, 2].max() * 2])
    ax.loglog(lim, lim, "-", color="0.3", lw=0.8, label="TV = bound")
    ax.set_xlabel(r"bound $\varepsilon\sqrt{T + \log(1/t_{\rm stop})}$")
    ax.set_ylabel("TV to the exact chain")
    ax.legend(loc="upper left")
    plt.show()

# %% [markdown]
# To keep it as a regression test, copy the function into `tests/` and drop the explicit
# `settings` values so that it inherits the suite's Hypothesis profile (derived from "ci").
# Check that the test can fail: a bound 10x tighter is violated on a plain two-bump mixture.

# %%
from diffbounds.simulators import GaussianMixture

mix = GaussianMixture([0.5, 0.5], [[-1.0], [1.0]], [0.5, 0.5])
tv = tv_to_exact_chain(mix, 0.3, SPACING)
print(f"TV = {tv:.4f} > 0.1 x bound = {0.03 * np.sqrt(T + np.log(1 / T_STOP)):.4f}:",
      tv > 0.03 * np.sqrt(T + np.log(1 / T_STOP)))
