"""Shared helpers of the propagation claims (exact 1-D laws, bound terms, per-term constant
fits)."""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from diffbounds import bounds
from diffbounds.simulators import GaussianMixture, schedule
from diffbounds.simulators.law1d import output_law

# The 1-D data law of the propagation claims: two well-separated components.
MIXTURE_1D = GaussianMixture([0.5, 0.5], [[-2.0], [1.5]], [0.25, 0.5])
T_HORIZON = 6.0
T_STOP = 1e-2
# Ledger keys (claims.ledger) of Corollary B.6: the whole bound, and its score-error terms
# δ + ε√(T + log 1/γ) (Lemmas B.1–B.3) checked on the TV between perturbed and exact chains.
B6_KEY = "gupta2024.corollary_b6"
B6_SCORE_KEY = "gupta2024.corollary_b6[score_error]"
B4_KEY = "gupta2024.lemma_b4"


def b6_total(**values):
    """Corollary B.6's bound with constant 1 (all four terms), evaluated (broadcasts)."""
    return np.asarray(bounds.get(B6_KEY).evaluate(**values, C=1.0), float)


def b6_score_error_terms(*, T, delta, epsilon, gamma):
    """The score-error terms of Corollary B.6 with constant 1, δ + ε√(T + log 1/γ): the sum of
    the statement's additive terms that contain δ or ε (taken from ``bounds``)."""
    stmt = bounds.get(B6_KEY)
    body = sp.expand(stmt.expr.subs({c: 1 for c in stmt.constants}))
    keep = [a for a in sp.Add.make_args(body)
            if {str(s) for s in a.free_symbols} & {"delta", "epsilon"}]
    syms = sorted(sp.Add(*keep).free_symbols, key=str)
    vals = dict(T=T, delta=delta, epsilon=epsilon, gamma=gamma)
    n = max(np.size(v) for v in vals.values())
    out = sp.lambdify(syms, sp.Add(*keep), "numpy")(*[np.asarray(vals[str(s)], float)
                                                     for s in syms])
    return np.broadcast_to(np.asarray(out, float), (n,)).copy()


def scaled_score(mixture, factor):
    """The exact score of ``mixture`` times ``factor``: ``factor`` = ½ is the sampler bug that
    replaces the exponential integrator's drift 2(e^h − 1)·s by (e^h − 1)·s (a negative
    control)."""
    factor = float(factor)

    def score(x, t):
        return factor * mixture.at(float(t)).score(x)

    return score


@functools.lru_cache(maxsize=32)
def discretization_tv(T, N, spacing, score_scale=1.0):
    """(TV, uncertainty) of the exact-score chain *started at q_T* against q_{t_stop}
    (``MIXTURE_1D``, exponential schedule): the marginal of Lemma B.4's TV(Q, Q_dis), with no
    start-up error (Lemma B.5). ``score_scale`` ½ is the drift-coefficient bug (a control)."""
    mix = MIXTURE_1D
    score = mix if score_scale == 1.0 else scaled_score(mix, score_scale)
    tv, unc, _ = _tv_and_error(score, schedule.exponential(T, T_STOP, int(N)), spacing,
                               mix.at(T_STOP), init=mix.at(T))
    return float(tv), float(unc)


def tv_between(a, b):
    """Discrete TV ½ Σ |P_a(cell) − P_b(cell)| on the union of both laws' cell edges (a lower
    bound on TV between the two reconstructed densities), plus half their lost mass."""
    edges = np.union1d(a.edges, b.edges)
    return 0.5 * float(np.abs(np.diff(a.cdf(edges)) - np.diff(b.cdf(edges))).sum()) + 0.5 * (
        a.lost_mass + b.lost_mass)


def _laws(score, times, spacing):
    """(law at spacing Δ, law at 2Δ): the second estimates the method error."""
    return (output_law(score, times, grid={"spacing": spacing}),
            output_law(score, times, grid={"spacing": 2 * spacing}))


def _tv_and_error(score, times, spacing, target, init=None):
    if init is not None:
        fine = output_law(score, times, grid={"spacing": spacing}, init=init)
        coarse = output_law(score, times, grid={"spacing": 2 * spacing}, init=init)
        tv = fine.tv(target)
        return tv, abs(tv - coarse.tv(target)) + fine.lost_mass, fine
    fine, coarse = _laws(score, times, spacing)
    tv = fine.tv(target)
    return tv, abs(tv - coarse.tv(target)) + fine.lost_mass, fine


def term_exponent(statement, symbol):
    """Exponent of ``symbol`` in the sum of the bound's additive terms that contain it."""
    sym = bounds.symbols.as_symbol(symbol)
    body = sp.expand(statement.expr.subs({c: 1 for c in statement.constants}))
    return float(bounds.exponent(sp.Add(*[a for a in sp.Add.make_args(body)
                                          if sym in a.free_symbols]), symbol))


def _m2(mixture):
    return float(np.sqrt(mixture.second_moment()))


def _column(rows, key):
    return np.array([r[key] for r in rows], dtype=float)
