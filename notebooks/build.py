"""Build and execute the tutorial notebooks: ``python notebooks/build.py`` (from the repo root).

The notebooks are stored executed (outputs included). Each has a ``QUICK`` parameter in its
first code cell; the tests (tests/test_notebooks.py) re-execute them as stored.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

NB1 = [
    ("md", """# 1. The bounds as objects: look up, evaluate, compose, compare

Every statement of Gupta, Parulekar, Price, Xun (NeurIPS 2024) and of its predecessors is an
exact SymPy expression in `bounds`, with its provenance (VERBATIM, DERIVED, ...). This notebook
looks one up, evaluates it, composes two statements and compares bounds (exponents, a table,
a crossover)."""),
    ("code", "QUICK = True  # size parameter (no simulation here; kept for uniformity)"),
    ("code", """import numpy as np

from diffbounds import bounds"""),
    ("md", "## Look up\nA statement knows its expression, constants, hypotheses and source."),
    ("code", """thm = bounds.get("gupta2024.theorem_1_2")
print(thm.key, "|", thm.status, "|", thm.quantity)
print(thm.source)
thm.expr"""),
    ("code", """[k for k in bounds.keys() if k.startswith("gupta2024.lemma")]"""),
    ("md", "## Evaluate\nNumbers or NumPy arrays; the absolute constant `C` defaults to 1."),
    ("code", """eps = np.array([0.2, 0.1, 0.05])
thm.evaluate(D=2, P=100, Theta=2, d=10, epsilon=eps, gamma=0.01)"""),
    ("code", """# Bad input is an error naming the argument, before any work:
try:
    thm.evaluate(D=2, P=100, Theta=2, d=10, epsilon=0.1)
except ValueError as exc:
    print(exc)"""),
    ("md", """## Compose
Substitute a statement for a symbol: Corollary B.6's TV bound with the step count N of
Lemma 1.3 inserted. The result is a DERIVED statement recording where each factor came from."""),
    ("code", """b6 = bounds.get("gupta2024.corollary_b6")
composed = bounds.compose(b6, {"N": "gupta2024.lemma_1_3"}, key="demo.b6_with_lemma_1_3_steps")
print(composed.status)
composed.expr"""),
    ("md", "## Compare\nExponents in each symbol towards its regime, a table, and a crossover."),
    ("code", """KEYS = ("gupta2024.theorem_1_2", "gupta2024.theorem_1_2_derived",
        "block2020.samples")
for key in KEYS:
    st = bounds.get(key)
    print(f"{key:32s} eps^{st.exponent('epsilon')}  "
          f"gamma: {bounds.growth(st.expr, 'gamma')}")"""),
    ("code", """print(bounds.table(["gupta2024.theorem_1_2", "gupta2024.theorem_1_2_derived",
                    "block2020.samples"], symbols=["epsilon", "gamma", "d"]))"""),
    ("code", """fixed = dict(D=2, P=100, Theta=2, d=10, delta=0.01, gamma=0.01, m_2=2)
cr = bounds.crossover("gupta2024.theorem_1_2_derived", "block2020.samples", "epsilon",
                      bracket=(1e-4, 0.5), **fixed)
print(cr.message)
print("larger below:", cr.larger_below, "| larger above:", cr.larger_above)"""),
    ("md", """The derived (proof-level) bound needs more samples than Block et al.'s L² route below
this ε, and fewer above it; `diffbounds figures --only bounds_comparison` draws these curves."""),
]

NB2 = [
    ("md", """# 2. A quantile-error experiment: from a mixture to a verdict

A 1-D Gaussian mixture has closed-form scores at every diffusion time, so the sampler's exact
output law can be computed on a grid (`simulators.law1d`) — no Monte Carlo. We add a score
error with a known (1 − δ)-quantile (`perturbed_score`), measure TV to the target as ε varies,
and reach a verdict against Corollary B.6: a constant fitted on the grid's boundary, checked on
its interior, and the measured log-log slope against the bound's exponent."""),
    ("code", "QUICK = True  # False: finer lattice, more steps and more eps values"),
    ("code", """import numpy as np

from diffbounds import bounds
from diffbounds.claims import _propagation_common as propagation
from diffbounds.claims.verdict import fit_constant, grid_boundary, held_out_check, slope_check
from diffbounds.simulators import GaussianMixture, perturbed_score, schedule
from diffbounds.simulators.law1d import output_law

N, SPACING = (30, 0.1) if QUICK else (100, 0.02)
EPS = [0.05, 0.1, 0.2, 0.4] if QUICK else [0.025, 0.05, 0.1, 0.2, 0.4]
T, T_STOP, DELTA_STEP = 6.0, 1e-2, 1e-4"""),
    ("md", "## The data law, the schedule and the target"),
    ("code", """mix = GaussianMixture([0.5, 0.5], [[-2.0], [1.5]], [0.25, 0.5])
times = schedule.exponential(T, T_STOP, N)
target = mix.at(T_STOP)
m2 = float(np.sqrt(mix.second_moment()))
print(f"N = {N}, t_stop = {times[-1]}, m_2 = {m2:.3f}")"""),
    ("md", """## The score error
Off a half-space of q_t-mass δ the error has norm ε/σ_t; on it, `bad_magnitude`/σ_t. So
D^δ = ε/σ_t exactly, whatever `bad_magnitude` is."""),
    ("code", """ps = perturbed_score(mix, eps=0.1, delta=DELTA_STEP, bad_magnitude=20.0)
t = float(times[5])
print(f"quantile error {ps.quantile_error(t):.4f} = eps/sigma_t; "
      f"L2 error {ps.l2_error(t):.4f}")"""),
    ("md", "## Measure: exact output laws, TV to the exact-score chain"),
    ("code", """exact = output_law(mix, times, grid={"spacing": SPACING})
rows = []
for eps in EPS:
    law = output_law(perturbed_score(mix, eps=eps, delta=DELTA_STEP, bad_magnitude=20.0),
                     times, grid={"spacing": SPACING})
    rows.append(dict(eps=eps, tv=law.tv(target),
                     tv_to_exact=propagation.tv_between(law, exact)))
for r in rows:
    print(f"eps={r['eps']:<5} TV(p_hat, q)={r['tv']:.4f}  "
          f"TV(p_hat, exact chain)={r['tv_to_exact']:.4f}")"""),
    ("md", "## Verdict: the bound at the same parameters, constant fitted on the boundary"),
    ("code", """b6 = bounds.get("gupta2024.corollary_b6")
eps = np.array([r["eps"] for r in rows])
tv = np.array([r["tv"] for r in rows])
bound = b6.evaluate(N=N, T=T, d=1, delta=N * DELTA_STEP, epsilon=eps, gamma=T_STOP, m_2=m2)
calibration = grid_boundary(eps)
C = fit_constant(tv, bound, calibration)
ok, worst = held_out_check(tv, bound, calibration, C)
print(f"fitted C = {C:.3g}; held-out worst ratio {worst:.3f}; holds: {ok}")"""),
    ("code", """tv_exact = np.array([r["tv_to_exact"] for r in rows])
slope = slope_check("epsilon", eps, tv_exact, propagation.term_exponent(b6, "epsilon"), "to_zero")
print(f"measured slope {slope.slope:.2f} ± {slope.half_width:.2f}, bound exponent "
      f"{slope.exponent:g}, holds: {slope.holds}")"""),
    ("md", """The registered claim `propagation_tv` does this over a grid in (ε, δ, N) with
method-error estimates: `python -m diffbounds verify --quick --only propagation_tv`."""),
]

NB3 = [
    ("md", """# 3. Your own property-based regression test

`simulators.strategies` exports Hypothesis strategies (mixtures, seeds, diffusion times). Here
we write a property of how score error propagates into sampling error, and run it.

**Property.** For any well-conditioned 1-D mixture and a score error of norm ε/σ_t everywhere
(`uniform_error`), the exact output laws of the sampler with and without the error satisfy
TV ≤ ε·√(T + log(1/t_stop)) + tol — the ε-term of Corollary B.6 with constant 1 (Girsanov and
Pinsker give √(KL/2) ≤ ε·√(T/2 + log(1/t_stop)/4 + O(1))).
**Tolerance model.** The lattice's method error, estimated by recomputing at twice the
spacing, plus 1e-3."""),
    ("code", "QUICK = True  # False: more examples, finer lattice"),
    ("code", """import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from diffbounds.claims._propagation_common import tv_between
from diffbounds.simulators import schedule, uniform_error
from diffbounds.simulators.law1d import output_law
from diffbounds.simulators.strategies import mixtures

EXAMPLES, SPACING, N = (4, 0.1, 15) if QUICK else (50, 0.05, 50)
T, T_STOP = 4.0, 0.05"""),
    ("code", """def tv_to_exact_chain(mix, eps, spacing):
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
    assert tv <= bound + method_error + 1e-3, (eps, tv, bound, method_error)"""),
    ("code", """test_score_error_propagates_at_most_linearly()
for eps, tv, bound in checked[-EXAMPLES:]:
    print(f"eps={eps:.3f}  TV={tv:.4f}  bound={bound:.4f}  ratio={tv / bound:.2f}")
print("property held on", len(checked), "examples")"""),
    ("md", """To keep it as a regression test, copy the function into `tests/` and drop the explicit
`settings` values so that it inherits the suite's Hypothesis profile (derived from "ci").
Check that the test can fail: a bound 10x tighter is violated on a plain two-bump mixture."""),
    ("code", """from simulators import GaussianMixture

mix = GaussianMixture([0.5, 0.5], [[-1.0], [1.0]], [0.5, 0.5])
tv = tv_to_exact_chain(mix, 0.3, SPACING)
print(f"TV = {tv:.4f} > 0.1 x bound = {0.03 * np.sqrt(T + np.log(1 / T_STOP)):.4f}:",
      tv > 0.03 * np.sqrt(T + np.log(1 / T_STOP)))"""),
]

NOTEBOOKS = {
    "01_bounds_as_objects.ipynb": NB1,
    "02_quantile_error_experiment.ipynb": NB2,
    "03_property_based_tests.ipynb": NB3,
}


def build(name, cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md"
                else nbformat.v4.new_code_cell(src) for kind, src in cells]
    return nb


def execute(nb, timeout=120):
    """Execute in the repository root (so the packages import without installation)."""
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    return nb


def main(names=None):
    for name, cells in NOTEBOOKS.items():
        if names and name not in names:
            continue
        t0 = time.perf_counter()
        nb = execute(build(name, cells))
        for cell in nb.cells:  # stable files: no execution timestamps
            cell.get("metadata", {}).pop("execution", None)
        nbformat.write(nb, HERE / name)
        print(f"{name}: executed in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
