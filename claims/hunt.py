"""The adversarial constant hunt: the worst 1-D instance of a statement, by global search.

``diffbounds hunt KEY [--budget SECONDS] [--seed S]`` searches instances — 1-D Gaussian
mixtures with up to 4 components (weights down to 1e-3, means, variances), schedules (T,
t_stop, N, uniform or exponential), and for Corollary B.6 score errors (ε, δ, region side,
bad magnitude) — for the largest measured/bound ratio, with exact 1-D laws (no Monte Carlo):

* ``gupta2024.corollary_b6``: (TV + 2·unc)(p̂, q_{t_stop}) / B6 with constant 1, δ = N·δ_step;
  the sampler started at N(0, 1) with a half-space score error (``perturbed_score``);
* ``gupta2024.lemma_b4``: (TV + 2·unc)(Q_dis's marginal, q_{t_stop}) / (√(1/N)(T + log 1/γ)),
  the exact-score chain started at q_T itself (so the start-up term of Lemma B.5 is absent:
  the marginal TV is at most the path TV of Lemma B.4);
* ``gupta2024.early_stop_w2``: (W2 + 2·unc)(q₀, q_t) / (√(d t) + m₂ t), W2 exact in 1-D
  (quantile functions; unc: the change from M to M/2 quantile nodes).

``unc`` of a TV: |TV(Δ) − TV(2Δ)| + lost mass, the law computed on the automatic lattice Δ and
on 2Δ (``claims._propagation_common``'s rule). The ratios are the ledger's (upper ends). An
instance whose method error is not small (2·unc > 10% of the measurement, ``resolved``) does not
count: the search would otherwise maximise the method error instead of the ratio.

Search: SciPy ``differential_evolution`` (seeded, so a hunt is reproducible; a budget in
seconds through its callback; ``integrality`` for N, the component count and the schedule
kind; no gradient needed, and the objective is a deterministic exact-law computation, which
is what DE optimises well). Hypothesis' ``target()`` was not chosen: it steers example
generation towards failures and shrinks them, but has no budget in seconds and no population
search over a continuous box, and its example database would make runs depend on history.

Parameter vector (``decode``): n_comp ∈ {1..4}; log10 w_k ∈ [−3, 0] (normalised); means
μ_k ∈ [−4, 4]; log10 variances ∈ [−1.5, 0.5]; T ∈ [1, 10]; log10 t_stop ∈ [−3, −0.5];
log10 N ∈ [log10 5, log10 400] (rounded, and at least log(1/t_stop), Lemma B.4's hypothesis);
kind ∈ {0: uniform, 1: exponential}; log10 ε ∈ [−3, −0.3]; log10 δ_step ∈ [−6, −2];
side ∈ {−1, +1} (the half-space's normal); log10 bad_magnitude ∈ [0, 3]. The instance is stored
as a plain dict (``encode``-free): ``instance_ratio(key, instance)`` replays it.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from diffbounds import bounds
from diffbounds.simulators import GaussianMixture, perturbed_score, schedule
from diffbounds.simulators.law1d import output_law

HUNT_KEYS = ("gupta2024.corollary_b6", "gupta2024.lemma_b4", "gupta2024.early_stop_w2")
K_SIGMA = 2.0
# An instance counts only if its measurement is resolved: K_SIGMA·unc ≤ 10% of the measured
# value (the ratio is then known to 10%). Otherwise the search would maximise method error: with
# N = 6 steps the automatic lattice can lose mass and TV(Δ) and TV(2Δ) differ by 0.7, an upper
# end of 2.2 for a TV ≤ 1 (found by a first hunt, seed 1).
MAX_RELATIVE_METHOD_ERROR = 0.1
# Quantile nodes of the exact 1-D W2 (midpoint rule in u; the error estimate halves them).
W2_NODES = 4_000

# name, low, high, integral
_COMMON = [("n_comp", 1, 4, True)] + \
    [(f"log_w{k}", -3.0, 0.0, False) for k in range(4)] + \
    [(f"mu{k}", -4.0, 4.0, False) for k in range(4)] + \
    [(f"log_var{k}", -1.5, 0.5, False) for k in range(4)]
_SCHEDULE = [("T", 1.0, 10.0, False), ("log_t_stop", -3.0, -0.5, False),
             ("log_N", math.log10(5), math.log10(400), False), ("kind", 0, 1, True)]
_ERROR = [("log_eps", -3.0, -0.3, False), ("log_delta_step", -6.0, -2.0, False),
          ("side", 0, 1, True), ("log_bad", 0.0, 3.0, False)]
_W2 = [("log_t", -3.0, 0.5, False)]
SPACES = {"gupta2024.corollary_b6": _COMMON + _SCHEDULE + _ERROR,
          "gupta2024.lemma_b4": _COMMON + _SCHEDULE,
          "gupta2024.early_stop_w2": _COMMON + _W2}


def decode(key: str, z: ArrayLike) -> dict:
    """The instance (a plain dict) of parameter vector ``z`` in ``SPACES[key]``.

    Parameters
    ----------
    key : str
        A key of ``SPACES`` (a statement with a hunt).
    z : array_like
        One value per coordinate of ``SPACES[key]``, in its order.

    Returns
    -------
    dict
        weights, means, variances of a 1-D mixture and, per statement, the schedule (T,
        t_stop, N, schedule), the score error (eps, delta_step, side, bad_magnitude) or the
        time t.

    Raises
    ------
    KeyError
        ``key`` has no search space.
    """
    names = [s[0] for s in SPACES[key]]
    v = dict(zip(names, np.asarray(z, float), strict=True))
    k = int(round(v["n_comp"]))
    w = np.array([10.0 ** v[f"log_w{i}"] for i in range(k)])
    inst = dict(weights=(w / w.sum()).tolist(), means=[float(v[f"mu{i}"]) for i in range(k)],
                variances=[float(10.0 ** v[f"log_var{i}"]) for i in range(k)])
    if "T" in v:
        t_stop = float(10.0 ** v["log_t_stop"])
        n = max(int(round(10.0 ** v["log_N"])), math.ceil(math.log(1.0 / t_stop)))
        inst.update(T=float(v["T"]), t_stop=t_stop, N=n,
                    schedule="exponential" if round(v["kind"]) == 1 else "uniform")
    if "log_eps" in v:
        inst.update(eps=float(10.0 ** v["log_eps"]), delta_step=float(10.0 ** v["log_delta_step"]),
                    side=1.0 if round(v["side"]) == 1 else -1.0,
                    bad_magnitude=float(10.0 ** v["log_bad"]))
    if "log_t" in v:
        inst.update(t=float(10.0 ** v["log_t"]))
    return inst


def _mixture(inst) -> GaussianMixture:
    return GaussianMixture(inst["weights"], [[m] for m in inst["means"]], inst["variances"])


def _times(inst):
    make = schedule.exponential if inst["schedule"] == "exponential" else schedule.uniform
    return make(inst["T"], inst["t_stop"], int(inst["N"]))


def _tv_upper(score, times, target, init=None):
    """(TV, unc) of the sampler's exact law at the automatic lattice Δ vs 2Δ."""
    fine = output_law(score, times, init=init)
    coarse = output_law(score, times, grid={"spacing": 2 * fine.spacing}, init=init)
    tv = fine.tv(target)
    return tv, abs(tv - coarse.tv(target)) + fine.lost_mass + coarse.lost_mass


def w2_exact_1d(a: GaussianMixture, b: GaussianMixture,
                nodes: int = W2_NODES) -> tuple[float, float]:
    """(W2, unc) between two 1-D mixtures: √∫₀¹ (F_a⁻¹(u) − F_b⁻¹(u))² du by the midpoint
    rule on ``nodes`` nodes; unc = |W2(nodes) − W2(nodes/2)|.

    Parameters
    ----------
    a, b : GaussianMixture
        1-D mixtures.
    nodes : int
        Midpoint-rule nodes.

    Returns
    -------
    (float, float)
        W2 (units of x) and its method-error estimate.

    Examples
    --------
    >>> a, b = GaussianMixture([1.0], [0.0], 1.0), GaussianMixture([1.0], [3.0], 1.0)
    >>> w2, unc = w2_exact_1d(a, b, nodes=1000)
    >>> round(w2, 9), unc < 1e-9  # a shift by 3: W2 = 3 exactly
    (3.0, True)
    """
    def w2(m):
        u = (np.arange(m) + 0.5) / m
        return float(np.sqrt(np.mean((a.quantile(u) - b.quantile(u)) ** 2)))
    fine = w2(nodes)
    return fine, abs(fine - w2(nodes // 2))


def instance_ratio(key: str, inst: dict) -> dict:
    """Measured upper end, bound (constant 1) and their ratio for instance ``inst`` of ``key``.

    Parameters
    ----------
    key : str
        A key of ``SPACES``.
    inst : dict
        An instance (:func:`decode`).

    Returns
    -------
    dict
        measured, uncertainty, bound (constant 1) and ratio = (measured + K_SIGMA·unc)/bound.

    Raises
    ------
    ValueError
        Unknown key (naming the known ones) or an invalid instance.
    """
    if key not in SPACES:
        raise ValueError(f"key: no hunt for {key!r}; known: {list(SPACES)}")
    mix = _mixture(inst)
    m2 = float(np.sqrt(mix.second_moment()))
    if key == "gupta2024.early_stop_w2":
        t = float(inst["t"])
        w2, unc = w2_exact_1d(mix, mix.at(t))
        bound = float(bounds.get(key).evaluate(d=1, m_2=m2, t=t, C=1.0))
        measured = w2
    else:
        times = _times(inst)
        target = mix.at(inst["t_stop"])
        if key == "gupta2024.lemma_b4":
            measured, unc = _tv_upper(mix, times, target, init=mix.at(inst["T"]))
            bound = float(bounds.get(key).evaluate(N=inst["N"], T=inst["T"], d=1,
                                                   gamma=inst["t_stop"], C=1.0))
        else:
            ps = perturbed_score(mix, eps=inst["eps"], delta=inst["delta_step"],
                                 bad_magnitude=inst["bad_magnitude"],
                                 halfspace_normal=[inst["side"]])
            measured, unc = _tv_upper(ps, times, target)
            bound = float(bounds.get(key).evaluate(
                N=inst["N"], T=inst["T"], d=1, delta=inst["N"] * inst["delta_step"],
                epsilon=inst["eps"], gamma=inst["t_stop"], m_2=m2, C=1.0))
    upper = measured + K_SIGMA * unc
    return dict(measured=float(measured), uncertainty=float(unc), bound=bound,
                ratio=float(upper / bound))


def resolved(res: dict) -> bool:
    """Whether an instance's measurement is resolved (``MAX_RELATIVE_METHOD_ERROR``).

    Parameters
    ----------
    res : dict
        A result of :func:`instance_ratio` (measured, uncertainty).

    Returns
    -------
    bool
        K_SIGMA·uncertainty <= MAX_RELATIVE_METHOD_ERROR·measured.

    Examples
    --------
    >>> resolved({"measured": 1.0, "uncertainty": 0.0})
    True
    """
    return K_SIGMA * res["uncertainty"] <= MAX_RELATIVE_METHOD_ERROR * res["measured"]


def hunt(key: str, *, budget: float = 60.0, seed: int = 0, popsize: int = 6,
         progress: Callable[[str], Any] | None = None) -> dict:
    """Search the worst instance of ``key`` for ``budget`` seconds (module docstring).

    Parameters
    ----------
    key : str
        A key of ``SPACES``.
    budget : float
        Seconds, finite and > 0.
    seed : int
        Seed of the differential evolution, >= 0.
    popsize : int
        Population size per coordinate (SciPy ``differential_evolution``).
    progress : callable or None
        Called with one line per generation.

    Returns
    -------
    dict
        A ledger candidate: ``key``, ``kind`` "upper", ``ratio``, ``claim`` "hunt",
        ``point`` (the instance), ``seed``, provenance (``code_version``, ``git_commit``,
        ``date``), and ``budget_s``, ``seconds``, ``evaluations``, ``history`` (the best ratio
        after each generation), ``measured``, ``uncertainty``, ``bound``.

    Raises
    ------
    ValueError
        Unknown key, budget ≤ 0 or not finite, seed < 0.
    """
    from scipy.optimize import differential_evolution

    from diffbounds.claims.ledger import _now
    from diffbounds.claims.sweep import code_version, git_commit

    if key not in SPACES:
        raise ValueError(f"key: no hunt for {key!r}; known: {list(SPACES)}")
    budget = float(budget)
    if not (math.isfinite(budget) and budget > 0):
        raise ValueError(f"budget: must be finite and > 0 seconds, got {budget!r}")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed: must be an integer >= 0, got {seed!r}")
    space = SPACES[key]
    lo = np.array([s[1] for s in space], float)
    hi = np.array([s[2] for s in space], float)
    integral = np.array([s[3] for s in space])
    t0 = time.perf_counter()
    state: dict[str, Any] = dict(n=0, best=-math.inf, inst=None, res=None, history=[], errors=0,
                                 unresolved=0)

    def objective(z):
        if time.perf_counter() - t0 > budget:
            return 0.0  # out of time: finish the generation cheaply
        inst = decode(key, z)
        try:
            res = instance_ratio(key, inst)
        except (ValueError, FloatingPointError, MemoryError):
            state["errors"] += 1
            return 0.0
        state["n"] += 1
        if not resolved(res):
            state["unresolved"] += 1
            return 0.0
        if res["ratio"] > state["best"]:
            state.update(best=res["ratio"], inst=inst, res=res)
        return -res["ratio"]

    def callback(*_args, **_kw):
        state["history"].append(state["best"])
        if progress:
            progress(f"  hunt {key}: {state['n']} instances, best ratio {state['best']:.4g}, "
                     f"{time.perf_counter() - t0:.0f} s")
        return time.perf_counter() - t0 > budget

    differential_evolution(objective, list(zip(lo, hi, strict=True)), seed=int(seed),
                           popsize=popsize, maxiter=100_000, tol=0.0, polish=False,
                           integrality=integral, init="sobol", callback=callback,
                           updating="immediate")
    if state["inst"] is None:
        raise RuntimeError(f"hunt: no instance of {key} could be evaluated in {budget} s")
    return dict(key=key, kind="upper", ratio=state["best"], claim="hunt", point=state["inst"],
                seed=int(seed), popsize=int(popsize), code_version=code_version(),
                git_commit=git_commit() or "",
                date=_now(), budget_s=budget, seconds=time.perf_counter() - t0,
                evaluations=state["n"], failed_evaluations=state["errors"],
                unresolved_evaluations=state["unresolved"],
                history=state["history"], **{k: state["res"][k] for k in
                                             ("measured", "uncertainty", "bound")})


def write_hunt(result: dict, path: str | os.PathLike) -> None:
    """Write a hunt result as ``{"candidates": [result]}`` JSON (``ledger update --from-hunt``).

    Parameters
    ----------
    result : dict
        A result of :func:`hunt`.
    path : str or os.PathLike
        The JSON file (overwritten).
    """
    with open(path, "w") as fh:
        json.dump({"candidates": [result]}, fh, indent=2)
