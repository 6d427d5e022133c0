"""The exact 1-D law of the sampler (simulators.law1d) and its distances.

Oracles and tolerance models:
- Gaussian target: the chain is exactly Gaussian, N(mean_N, var_N) from the linear recursion
  (``gaussian_chain_moments``). Exact identity up to the method error: mean and variance to
  1e-8, TV against the exact output law ≤ 1e-6 (the method's own TV error; measured ≤ 4e-8).
- Mixture targets and generic scores: the sampler's particles (CPU backend, fixed seeds); the
  KS test against ``law.cdf`` must give p > 1e-3 (a statistical band, one fixed seed each).
- Distances: closed forms for Gaussians (TV with equal variances, W2, KL) and SciPy quadrature
  for mixtures, to 1e-6.
- Convergence: TV to q_{t_stop} decreases with N; halving the spacing changes it by < 1e-6.
"""

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from diffbounds.simulators import GaussianMixture, sample, schedule
from diffbounds.simulators.law1d import GridLaw, _cell_kernels, output_law
from diffbounds.simulators.oracles import gaussian_chain_moments
from diffbounds.simulators.scores import MixtureScore
from tests.simulators._integrator import exponential_integrator

MIX = GaussianMixture([0.3, 0.7], [-2.0, 1.5], [0.05, 0.3])


def _gauss(mean, var):
    return GaussianMixture([1.0], [mean], [var])


def _exact_output(mean, var, times, **init):
    m, C = gaussian_chain_moments([mean], [[var]], times, **init)
    return m[0], C[0, 0]


# ------------------------------------------------------------------ Gaussian oracle
_TINY_LAST = np.concatenate([schedule.exponential(3.0, 1e-2, 30),
                             [1e-2 - 1e-6, 1e-2 - 2e-6, 1e-2 - 1e-5, 1e-2 - 1e-4]])
GAUSS_CASES = [
    ("uniform", schedule.uniform(3.0, 0.05, 25), 1.0, 0.5),
    ("exp-wide", schedule.exponential(8.0, 1e-3, 100), 1.0, 0.5),
    ("exp-narrow", schedule.exponential(8.0, 1e-3, 100), -2.0, 0.01),
    ("exp-400", schedule.exponential(8.0, 1e-3, 400), -2.0, 0.01),
    ("c<<spacing", _TINY_LAST, 0.5, 0.02),  # last steps have c_k from 0.5 to 5 cells
]


@pytest.mark.parametrize("name, times, mu, var", GAUSS_CASES, ids=[c[0] for c in GAUSS_CASES])
def test_gaussian_target_matches_linear_recursion(name, times, mu, var):
    law = output_law(_gauss(mu, var), times)
    m, v = _exact_output(mu, var, times)
    assert abs(law.mean() - m) < 1e-8
    assert abs(law.var() - v) < 1e-8
    exact = _gauss(m, v)
    tv = law.tv(exact)
    assert tv <= 1e-6  # the method's own TV error
    assert law.tv_lower_bound(exact) <= tv + 1e-15
    assert law.lost_mass < 1e-12
    assert abs(law.total_mass() + law.lost_mass - 1.0) < 1e-12


def test_small_steps_have_c_below_the_spacing():
    # guards the "c<<spacing" case above: it must exercise the exact cell kernels
    law = output_law(_gauss(0.5, 0.02), _TINY_LAST)
    c = exponential_integrator(_TINY_LAST)[:, 2]
    assert c[-4] < law.spacing and c[-2] < 2 * law.spacing


def test_init_mixture_start():
    times = schedule.uniform(2.0, 0.1, 20)
    law = output_law(_gauss(0.3, 0.4), times, init=_gauss(0.5, 2.0))
    m, v = _exact_output(0.3, 0.4, times, init_mean=[0.5], init_cov=[[2.0]])
    assert abs(law.mean() - m) < 1e-8 and abs(law.var() - v) < 1e-8
    assert law.tv(_gauss(m, v)) < 1e-6


def test_minus_x_score_is_a_closed_form_gaussian():
    times = schedule.exponential(5.0, 1e-2, 40)
    law = output_law(lambda x, t: -x, times)
    m, v = 0.0, 1.0
    for a, b, c in exponential_integrator(times):
        m, v = (a - b) * m, (a - b) ** 2 * v + c * c
    assert abs(law.mean() - m) < 1e-8 and abs(law.var() - v) < 1e-8
    assert law.tv(_gauss(m, v)) < 1e-6


def test_score_model_objects_give_the_same_law():
    times = schedule.exponential(4.0, 1e-2, 20)
    a = output_law(MIX, times)
    b = output_law(MixtureScore(MIX), times)
    c = output_law(lambda x, t: MIX.at(t).score(x), times, grid={"spacing": a.spacing})
    assert a.start == b.start
    np.testing.assert_array_equal(a.mass, b.mass)
    # The mixture runs through the compiled kernel family, the lambda through
    # GaussianMixture.score: scores equal to rounding, so an end cell at the 1e-20 trimming
    # floor may be kept by one and trimmed by the other. Compare on the union of the grids.
    lo, hi = min(a.start, c.start), max(a.start + a.cells, c.start + c.cells)
    pa, pc = np.zeros(hi - lo), np.zeros(hi - lo)
    pa[a.start - lo:a.start - lo + a.cells] = a.mass
    pc[c.start - lo:c.start - lo + c.cells] = c.mass
    assert max(abs(a.start - c.start), abs(a.cells - c.cells)) <= 2
    np.testing.assert_allclose(pa, pc, rtol=0, atol=1e-15)


# ------------------------------------------------------------------ Monte Carlo oracle
MC_TIMES = schedule.exponential(5.0, 1e-2, 40)


def _shifted(x, t):
    return MIX.at(t).score(x) + 0.3


def _jump(x, t):
    # a score error of 40 on |x − 1| < 0.05: throws that mass far to the right (non-smooth map)
    return MIX.at(t).score(x) + np.where(np.abs(x - 1.0) < 0.05, 40.0, 0.0)


def _wiggle(x, t):
    return MIX.at(t).score(x) + 3.0 * np.sin(7.0 * x)


@pytest.mark.parametrize("score, seed", [(MIX, 3), (_shifted, 5), (_jump, 5), (_wiggle, 7)],
                         ids=["exact", "shifted", "jump", "wiggle"])
def test_law_matches_sampler_particles(score, seed):
    law = output_law(score, MC_TIMES)
    x = sample(score, 200_000, MC_TIMES, seed=seed, backend="cpu", dim=1)[:, 0]
    assert stats.kstest(x, law.cdf).pvalue > 1e-3
    # moments within 5 standard errors
    assert abs(x.mean() - law.mean()) < 5 * math.sqrt(law.var() / x.size)


# ------------------------------------------------------------------ convergence
def test_tv_decreases_with_steps_and_is_grid_converged():
    tvs = []
    for n in (25, 50, 100, 200):
        times = schedule.exponential(6.0, 1e-3, n)
        target = MIX.at(times[-1])
        law = output_law(MIX, times)
        tvs.append(law.tv(target))
        if n == 100:
            fine = output_law(MIX, times, grid={"spacing": law.spacing / 2})
            assert abs(fine.tv(target) - tvs[-1]) < 1e-6
            assert abs(fine.w2(target) - law.w2(target)) < 1e-6
            assert abs(fine.kl(target) - law.kl(target)) < 1e-6
    assert all(b < a for a, b in zip(tvs, tvs[1:], strict=False))
    # first-order discretization: halving the steps roughly halves TV
    assert 1.6 < tvs[0] / tvs[1] < 2.5 and 1.6 < tvs[-2] / tvs[-1] < 2.5


# ------------------------------------------------------------------ distances
@pytest.mark.parametrize("mu1, mu2, s", [(0.0, 0.5, 0.7), (0.3, -1.2, 1.3), (2.0, 2.0, 0.2)])
def test_tv_equal_variances_closed_form(mu1, mu2, s):
    law = GridLaw.from_mixture(_gauss(mu1, s * s), spacing=s / 100)
    expected = 2.0 * special.ndtr(abs(mu1 - mu2) / (2 * s)) - 1.0
    assert abs(law.tv(_gauss(mu2, s * s)) - expected) < 1e-6


@pytest.mark.parametrize("mu1, s1, mu2, s2", [(0.0, 1.0, 0.5, 0.7), (0.3, 0.5, -1.2, 1.3),
                                               (1.0, 0.2, 1.0, 0.2)])
def test_w2_and_kl_closed_forms(mu1, s1, mu2, s2):
    law = GridLaw.from_mixture(_gauss(mu1, s1 * s1), spacing=s1 / 100)
    q = _gauss(mu2, s2 * s2)
    assert abs(law.w2(q) - math.hypot(mu1 - mu2, s1 - s2)) < 1e-6
    kl = math.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - 0.5
    assert abs(law.kl(q) - kl) < 1e-6
    assert abs(law.mean() - mu1) < 1e-10 and abs(law.var() - s1 * s1) < 1e-10


def _tv_two_gaussians(m1, s1, m2, s2):
    """Closed form: TV = P1(A) − P2(A) on A = {p1 > p2}, an interval (or its complement)
    whose ends solve the quadratic log p1 = log p2 (independent of law1d)."""
    if s1 == s2:
        return 2.0 * special.ndtr(abs(m1 - m2) / (2 * s1)) - 1.0
    a = 1 / (2 * s2**2) - 1 / (2 * s1**2)
    b = m1 / s1**2 - m2 / s2**2
    c = m2**2 / (2 * s2**2) - m1**2 / (2 * s1**2) + math.log(s2 / s1)
    r = np.sort(np.roots([a, b, c]).real)  # two real roots for s1 != s2
    inside = special.ndtr((r[1] - m1) / s1) - special.ndtr((r[0] - m1) / s1) - (
        special.ndtr((r[1] - m2) / s2) - special.ndtr((r[0] - m2) / s2))
    return abs(inside)


def test_tv_against_a_target_wider_than_the_grid_issue_9():
    # issue 9 §6: the law of N(0, 0.2²) on its own grid against N(0, 1)
    law = GridLaw.from_mixture(_gauss(0.0, 0.04))
    exact = _tv_two_gaussians(0.0, 0.2, 0.0, 1.0)
    assert abs(exact - 0.6471153009585331) < 1e-15
    assert law.edges[0] > -2.0  # the target has ~4% of its mass off the grid
    # method error: per sign change of p − q, O(Δ³ |(p − q)″|) (linear model in the cell);
    # two crossings at |x*| = 0.51, |p″| ≤ 11 there
    tol = 2 * law.spacing**3 * 11.0
    assert abs(law.tv(_gauss(0.0, 1.0)) - exact) < tol
    assert law.tv_lower_bound(_gauss(0.0, 1.0)) <= law.tv(_gauss(0.0, 1.0)) + 1e-15


@pytest.mark.parametrize("m1, s1, m2, s2", [(0.0, 0.01, 0.0, 1.0), (0.5, 0.05, -1.0, 3.0),
                                            (0.0, 0.2, 0.0, 30.0), (1.0, 0.3, 0.0, 0.5)])
def test_distances_against_wider_targets_closed_forms(m1, s1, m2, s2):
    law = GridLaw.from_mixture(_gauss(m1, s1 * s1), spacing=s1 / 100)
    q = _gauss(m2, s2 * s2)
    # the in-cell error per crossing is ≤ Δ³ max|p″| ≤ Δ³ · 2φ(0)/s1³ ≈ 1e-6 · 0.8
    assert abs(law.tv(q) - _tv_two_gaussians(m1, s1, m2, s2)) < 2e-6
    assert abs(law.w2(q) - math.hypot(m1 - m2, s1 - s2)) < 1e-6
    kl = math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5
    assert abs(law.kl(q) - kl) < 1e-6


def test_output_law_narrower_than_its_target():
    # exact score of N(0.3, 0.1²) down to t_stop = 1e-3: the output law (exactly
    # N(m_N, v_N), gaussian_chain_moments) is far narrower than the reference N(0, 1)
    times = schedule.exponential(5.0, 1e-3, 50)
    law = output_law(_gauss(0.3, 0.01), times)
    m, v = _exact_output(0.3, 0.01, times)
    q = _gauss(0.0, 1.0)
    assert q.cdf(law.edges[0]) > 0.1  # much of the target lies off the grid
    # the output law's own TV error ≤ 1e-6 (Gaussian oracle above) bounds every shift
    assert abs(law.tv(q) - _tv_two_gaussians(m, math.sqrt(v), 0.0, 1.0)) < 1e-6
    assert abs(law.w2(q) - math.hypot(m, math.sqrt(v) - 1.0)) < 1e-6
    kl = -0.5 * math.log(v) + (v + m * m) / 2 - 0.5
    assert abs(law.kl(q) - kl) < 1e-5  # KL is not TV-Lipschitz; measured error 1e-9


def test_w2_and_kl_refuse_lost_mass_they_cannot_place():
    law = GridLaw(np.array([0.2, 0.5, 0.2]), 0.1, 0, lost_mass=0.1)
    q = _gauss(0.0, 1.0)
    for method in (law.w2, law.kl):
        with pytest.raises(ValueError, match="lost_mass"):
            method(q)
    with pytest.raises(ValueError, match="max_lost_mass"):
        law.w2(q, max_lost_mass=-1.0)
    # accepted knowingly: the renormalised grid law's value, which ignores the lost mass
    ok = GridLaw(np.array([0.2, 0.5, 0.2]) / 0.9, 0.1, 0)
    assert law.w2(q, max_lost_mass=0.1) == pytest.approx(ok.w2(q), rel=1e-12)
    assert law.kl(q, max_lost_mass=0.1) == pytest.approx(ok.kl(q), rel=1e-12)
    # tv keeps the grid's sub-probability: exact to ± lost_mass / 2
    assert abs(law.tv(q) - ok.tv(q)) <= 0.05 + 1e-12


def test_distances_between_mixtures_match_quadrature():
    p = GaussianMixture([0.5, 0.5], [-1.0, 1.0], [0.3, 0.5])
    q = GaussianMixture([0.2, 0.8], [-0.5, 1.2], [0.6, 0.2])
    law = GridLaw.from_mixture(p, spacing=0.004)
    tv = 0.5 * integrate.quad(lambda x: abs(p.pdf(x) - q.pdf(x)), -15, 15, limit=400,
                              epsabs=1e-12)[0]
    kl = integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), -15, 15, limit=400,
                        epsabs=1e-12)[0]
    # W2² = ∫ (F⁻¹ − G⁻¹)²(Φ(z)) φ(z) dz, smooth in z: composite 10-point Gauss–Legendre on
    # 300 panels of |z| ≤ 7.5 (the rest weighs < 1e-13)
    g, gw = np.polynomial.legendre.leggauss(10)
    edges = np.linspace(-7.5, 7.5, 301)
    half = 0.5 * np.diff(edges)
    z = (0.5 * (edges[1:] + edges[:-1]))[:, None] + half[:, None] * g
    wz = half[:, None] * gw
    u = special.ndtr(z)
    w2sq = float(np.sum(wz * stats.norm.pdf(z) * (p.quantile(u) - q.quantile(u)) ** 2))
    assert abs(law.tv(q) - tv) < 1e-6
    assert abs(law.kl(q) - kl) < 1e-6
    assert abs(law.w2(q) - math.sqrt(w2sq)) < 1e-6


def test_cell_kernels_match_quadrature():
    for r in (0.03, 0.4, 1.9):
        K = math.ceil(14 * r) + 1
        W, V, U = _cell_kernels(r, K)
        for n in range(-K, K + 1):
            def moved(poly, n=n, r=r):
                def f(u):
                    return poly(u) * (special.ndtr((n + 0.5 - u) / r)
                                      - special.ndtr((n - 0.5 - u) / r))
                return integrate.quad(f, -0.5, 0.5, epsabs=1e-14, points=[0.0])[0]
            assert abs(W[n + K] - moved(lambda u: 1.0)) < 1e-12
            assert abs(V[n + K] - moved(lambda u: u)) < 1e-12
            assert abs(U[n + K] - moved(lambda u: u * u - 1 / 12)) < 1e-12
        assert abs(W.sum() - 1.0) < 1e-14 and abs(V.sum()) < 1e-14 and abs(U.sum()) < 1e-14


# ------------------------------------------------------------------ the GridLaw object
def test_gridlaw_geometry_cdf_and_quantile():
    p = _gauss(0.4, 0.8)
    law = GridLaw.from_mixture(p, cells=2000)
    G = law.cells
    assert law.grid.shape == (G,) and law.edges.shape == (G + 1,) and law.pdf.shape == (G,)
    np.testing.assert_allclose(np.diff(law.edges), law.spacing, rtol=1e-9)
    np.testing.assert_allclose(law.pdf, law.mass / law.spacing)
    assert abs(law.total_mass() + law.lost_mass - 1.0) < 1e-15
    # cdf is exact at the edges and inverted by quantile
    np.testing.assert_allclose(law.cdf(law.edges), np.concatenate([[0], np.cumsum(law.mass)]),
                               atol=1e-15)
    x = np.linspace(-3, 4, 101)
    np.testing.assert_allclose(law.cdf(x), p.cdf(x), atol=1e-9)
    u = np.linspace(0.001, 0.999, 57)
    np.testing.assert_allclose(law.cdf(law.quantile(u)), u, atol=1e-12)
    assert law.cdf(-1e9) == 0.0 and abs(law.cdf(1e9) - law.total_mass()) < 1e-14


def test_mass_thrown_off_a_capped_grid_is_reported():
    def far(x, t):
        return np.where(np.abs(x) < 0.1, 1e3, -x)

    times = schedule.uniform(1.0, 0.5, 3)
    law = output_law(far, times, grid={"cells": 400, "max_cells": 3000})
    assert law.cells <= 3000
    assert law.lost_mass > 0.05  # |x| < 0.1 holds ~8% of N(0, 1), thrown ~1e3 away
    assert abs(law.total_mass() + law.lost_mass - 1.0) < 1e-9


# ------------------------------------------------------------------ bad input
TIMES = schedule.uniform(1.0, 0.1, 5)


@pytest.mark.parametrize("kwargs, exc, name", [
    ({"times": [0.1, 0.5, 1.0]}, ValueError, "times"),
    ({"times": [1.0]}, ValueError, "times"),
    ({"score": GaussianMixture([1.0], [[0.0, 0.0]], [1.0])}, ValueError, "score"),
    ({"score": 3.0}, TypeError, "score"),
    ({"grid": -5}, ValueError, "cells"),
    ({"grid": 2.5}, TypeError, "grid"),
    ({"grid": True}, TypeError, "grid"),
    ({"grid": {"cellz": 10}}, ValueError, "grid"),
    ({"grid": {"cells": 100, "spacing": 0.1}}, ValueError, "grid"),
    ({"grid": {"spacing": -0.1}}, ValueError, "spacing"),
    ({"grid": {"truncation": 2.0}}, ValueError, "truncation"),
    ({"grid": {"mass_floor": 0.5}}, ValueError, "mass_floor"),
    ({"grid": {"max_cells": 3}}, ValueError, "max_cells"),
    ({"init": GaussianMixture([1.0], [[0.0, 0.0]], [1.0])}, ValueError, "init"),
    ({"init": "normal"}, TypeError, "init"),
])
def test_bad_arguments_are_named(kwargs, exc, name):
    args = {"score": MIX, "times": TIMES} | kwargs
    with pytest.raises(exc, match=name):
        output_law(args.pop("score"), args.pop("times"), **args)


@pytest.mark.parametrize("score, match", [
    (lambda x, t: x[:, 0], "score: returned shape"),
    (lambda x, t: np.full_like(x, np.nan), "score: returned non-finite values at step 0"),
])
def test_bad_score_output_names_score_and_step(score, match):
    with pytest.raises(ValueError, match=match):
        output_law(score, TIMES)


def test_distances_reject_non_1d_targets():
    law = GridLaw.from_mixture(_gauss(0.0, 1.0), cells=200)
    two_d = GaussianMixture([1.0], [[0.0, 0.0]], [1.0])
    for method in (law.tv, law.tv_lower_bound, law.w2, law.kl):
        with pytest.raises(ValueError, match="target"):
            method(two_d)
        with pytest.raises(TypeError, match="target"):
            method(np.zeros(3))
    with pytest.raises(ValueError, match="mass"):
        GridLaw(np.array([0.5, -0.1]), 0.1, 0)
    with pytest.raises(ValueError, match="p"):
        law.quantile(1.5)


# ---------------------------------------------------------- compiled loops = NumPy reference
def test_compiled_step_matches_numpy_reference():
    """kernels.law1d_cpu replaces the NumPy arithmetic of _segments/_deposit/_parabolas: same
    formulas, so the same masses up to summation order (1e-15 of the total mass), on a step with
    a discontinuous mean map (refinement at every depth) and a windowed (capped) grid."""
    from diffbounds.simulators import law1d
    from diffbounds.simulators.kernels import law1d_cpu

    rng = np.random.default_rng(0)
    M = np.exp(-0.5 * ((np.arange(3000) - 1500) / 300.0) ** 2) * rng.uniform(0.5, 1.5, 3000)
    M[100:110] = 0.0
    M /= M.sum()
    dx, start = 0.01, -1500

    def mean_map(x):
        return 0.9 * x + np.where(x > 1.234, 3.0, 0.0) + 0.05 * np.sin(3 * x)

    ref = law1d._segments(M, start, dx, mean_map)
    new = law1d._segments(M, start, dx, mean_map, compiled=law1d_cpu)
    order_r = np.lexsort((ref["u0"], ref["cell"]))
    order_n = np.lexsort((new["u0"], new["cell"]))
    for key in ref:
        np.testing.assert_array_equal(ref[key][order_r], new[key][order_n])
    np.testing.assert_allclose(np.column_stack(law1d_cpu.parabolas(M)),
                               np.column_stack(law1d._parabolas(M)), rtol=0, atol=1e-18)
    for max_cells in (2_000_000, 2000):
        opts = {"truncation": 14.0, "max_cells": max_cells}
        outs = []
        for compiled in (None, law1d_cpu):
            seg = dict(ref)
            seg["_M"], (seg["_S"], seg["_P"]) = M, law1d._parabolas(M)
            outs.append(law1d._deposit(seg, 1.0, dx, 0.05, opts, compiled=compiled))
        (a, ja, la), (b, jb, lb) = outs
        assert ja == jb and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)
        assert abs(la - lb) < 1e-15


def test_progress_bar_does_not_change_the_law():
    mix = GaussianMixture([0.5, 0.5], [[-2.0], [1.5]], [0.25, 0.5])
    times = schedule.exponential(3.0, 0.05, 10)
    a = output_law(mix, times, grid=800)
    b = output_law(mix, times, grid=800, progress=True)
    np.testing.assert_array_equal(a.mass, b.mass)
