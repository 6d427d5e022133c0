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
# # 2. A quantile-error experiment: from a mixture to a verdict
#
# A 1-D Gaussian mixture has closed-form scores at every diffusion time, so the sampler's exact
# output law can be computed on a grid (`simulators.law1d`) — no Monte Carlo. We add a score
# error with a known (1 − δ)-quantile (`perturbed_score`), measure TV to the target as ε varies,
# and reach a verdict against Corollary B.6: a constant fitted on the grid's boundary, checked on
# its interior, and the measured log-log slope against the bound's exponent.

# %%
QUICK = True  # False: finer lattice, more steps and more eps values

# %%
import numpy as np

from diffbounds import bounds
from diffbounds.claims import _propagation_common as propagation
from diffbounds.claims.verdict import fit_constant, grid_boundary, held_out_check, slope_check
from diffbounds.simulators import GaussianMixture, perturbed_score, schedule
from diffbounds.simulators.law1d import output_law

N, SPACING = (30, 0.1) if QUICK else (100, 0.02)
EPS = [0.05, 0.1, 0.2, 0.4] if QUICK else [0.025, 0.05, 0.1, 0.2, 0.4]
T, T_STOP, DELTA_STEP = 6.0, 1e-2, 1e-4

# %% [markdown]
# ## The data law, the schedule and the target

# %%
mix = GaussianMixture([0.5, 0.5], [[-2.0], [1.5]], [0.25, 0.5])
times = schedule.exponential(T, T_STOP, N)
target = mix.at(T_STOP)
m2 = float(np.sqrt(mix.second_moment()))
print(f"N = {N}, t_stop = {times[-1]}, m_2 = {m2:.3f}")

# %% [markdown]
# ## The score error
# Off a half-space of q_t-mass δ the error has norm ε/σ_t; on it, `bad_magnitude`/σ_t. So
# D^δ = ε/σ_t exactly, whatever `bad_magnitude` is.

# %%
ps = perturbed_score(mix, eps=0.1, delta=DELTA_STEP, bad_magnitude=20.0)
t = float(times[5])
print(f"quantile error {ps.quantile_error(t):.4f} = eps/sigma_t; "
      f"L2 error {ps.l2_error(t):.4f}")

# %% [markdown]
# ## Measure: exact output laws, TV to the exact-score chain

# %%
exact = output_law(mix, times, grid={"spacing": SPACING})
rows = []
for eps in EPS:
    law = output_law(perturbed_score(mix, eps=eps, delta=DELTA_STEP, bad_magnitude=20.0),
                     times, grid={"spacing": SPACING})
    rows.append(dict(eps=eps, tv=law.tv(target),
                     tv_to_exact=propagation.tv_between(law, exact)))
for r in rows:
    print(f"eps={r['eps']:<5} TV(p_hat, q)={r['tv']:.4f}  "
          f"TV(p_hat, exact chain)={r['tv_to_exact']:.4f}")

# %% [markdown]
# ## Verdict: the bound at the same parameters, constant fitted on the boundary

# %%
b6 = bounds.get("gupta2024.corollary_b6")
eps = np.array([r["eps"] for r in rows])
tv = np.array([r["tv"] for r in rows])
bound = b6.evaluate(N=N, T=T, d=1, delta=N * DELTA_STEP, epsilon=eps, gamma=T_STOP, m_2=m2)
calibration = grid_boundary(eps)
C = fit_constant(tv, bound, calibration)
ok, worst = held_out_check(tv, bound, calibration, C)
print(f"fitted C = {C:.3g}; held-out worst ratio {worst:.3f}; holds: {ok}")

# %%
tv_exact = np.array([r["tv_to_exact"] for r in rows])
slope = slope_check("epsilon", eps, tv_exact, propagation.term_exponent(b6, "epsilon"), "to_zero")
print(f"measured slope {slope.slope:.2f} ± {slope.half_width:.2f}, bound exponent "
      f"{slope.exponent:g}, holds: {slope.holds}")

# %% [markdown]
# ## The picture
# Measured TV against the bound times its fitted constant (left), and the TV to the exact-score
# chain with the slope the bound's ε-exponent predicts (right), in the house style of
# `diffbounds.figures`.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt

from diffbounds.figures import PALETTE, style

with style():
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(5.5, 2.2), layout="constrained")
    ax1.loglog(eps, tv, "o", color=PALETTE[2], label="measured TV")
    ax1.loglog(eps, C * bound, "-", color=PALETTE[0], label=f"Cor. B.6 × C (C = {C:.2g})")
    ax1.set_xlabel(r"score error $\varepsilon$")
    ax1.set_ylabel("TV to the target")
    ax1.legend(loc="lower right")
    ax2.loglog(eps, tv_exact, "s", color=PALETTE[1], label="TV to exact chain")
    ref = tv_exact[0] * (eps / eps[0]) ** slope.exponent
    ax2.loglog(eps, ref, ":", color="0.3", label=f"bound's slope {slope.exponent:g}")
    ax2.set_xlabel(r"score error $\varepsilon$")
    ax2.set_ylabel("TV to the exact chain")
    ax2.legend(loc="lower right")
    plt.show()

# %% [markdown]
# The registered claim `propagation_tv` does this over a grid in (ε, δ, N) with
# method-error estimates: `python -m diffbounds verify --quick --only propagation_tv`.
