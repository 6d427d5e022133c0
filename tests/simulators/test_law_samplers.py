"""Exact 1-D laws (law1d.output_law) and product laws (law_nd.output_law) for every built-in
sampler.

Oracles and tolerance models:
- Gaussian target: every built-in chain is Gaussian with the mean and variance of the
  hand-derived recursion in ``_sampler_oracle`` (not the module's code). Tolerances as the
  exponential integrator's in test_law1d (mean, variance to 1e-8; TV ≤ 1e-6, the method's own
  error bound documented in law1d), which hold for deterministic samplers too (c_k = 0: only the
  remap, no convolution).
- Mixture target: KS test of 20 000 particles of ``sample(..., sampler=name)`` (generic path,
  one fixed seed) against the exact law's cdf, p > 1e-3 (a statistical band).
- The default sampler's law is unchanged: the same GridLaw bit for bit whether ``sampler`` is
  omitted or named, and the generic law path with the exponential integrator agrees with it.
- law_nd: the orthogonal factor's variance for a 2-D Gaussian product target equals the 1-D
  recursion with the orthogonal coordinate's target (μ = 0, same variance), hand-derived.
"""

import numpy as np
import pytest
from scipy import stats

from diffbounds.simulators import GaussianMixture, law_nd, sample, schedule
from diffbounds.simulators import samplers as S
from diffbounds.simulators.law1d import _output_law_generic, output_law
from tests.simulators._sampler_oracle import gaussian_recursion

MIX = GaussianMixture([0.3, 0.7], [-2.0, 1.5], [0.05, 0.3])
NAMES = sorted(S.BUILTINS)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("mu, var, times", [
    (0.7, 0.3, schedule.exponential(4.0, 0.05, 12)),
    (-2.0, 0.01, schedule.exponential(8.0, 1e-3, 60)),
    (0.5, 0.2, np.append(schedule.exponential(5.0, 1e-2, 30), 0.0)),
], ids=["wide-12", "narrow-60", "to-zero-31"])
def test_gaussian_target_matches_hand_recursion(name, mu, var, times):
    g = GaussianMixture([1.0], [mu], [var])
    law = output_law(g, times, sampler=name)
    m, v = gaussian_recursion(name, times, mu0=mu, v0=var)
    assert abs(law.mean() - m) < 1e-8
    assert abs(law.var() - v) < 1e-8 * max(1.0, v)
    assert law.tv(GaussianMixture([1.0], [m], [v])) <= 1e-6
    assert law.lost_mass < 1e-12


def test_default_law_unchanged():
    times = schedule.exponential(4.0, 0.05, 20)
    a = output_law(MIX, times)
    b = output_law(MIX, times, sampler="exponential_integrator")
    assert np.array_equal(a.mass, b.mass) and a.start == b.start
    c = _output_law_generic(S.ExponentialIntegrator(), MIX, times, None, None, False)
    assert c.start == a.start and c.mass.shape == a.mass.shape
    np.testing.assert_allclose(c.mass, a.mass, rtol=0, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_mixture_law_against_monte_carlo(name):
    times = schedule.exponential(4.0, 0.05, 15)
    law = output_law(MIX, times, sampler=name)
    x = sample(MIX, 20_000, times, seed=17, sampler=name)[:, 0]
    p = stats.kstest(x, law.cdf).pvalue
    assert p > 1e-3, p


def test_not_gaussian_step_is_refused():
    def my_step(x, score, t, tn, noise):
        return x

    with pytest.raises(ValueError, match="not of the form .* Monte Carlo"):
        output_law(MIX, schedule.uniform(2.0, 0.1, 4), sampler=my_step)
    with pytest.raises(ValueError, match="sampler: unknown built-in"):
        output_law(MIX, schedule.uniform(2.0, 0.1, 4), sampler="nope")


@pytest.mark.parametrize("name", ["pf_heun", "ancestral"])
def test_law_nd_orthogonal_factor(name):
    times = schedule.exponential(4.0, 0.05, 12)
    mix2 = GaussianMixture([0.5, 0.5], [[-1.5, 0.0], [1.5, 0.0]], [0.2, 0.2])
    law = law_nd.output_law(mix2, times, sampler=name)
    _, v = gaussian_recursion(name, times, mu0=0.0, v0=0.2)
    assert law.dim == 2
    assert abs(law.perp_var - v) < 1e-12
    line = output_law(GaussianMixture([0.5, 0.5], [-1.5, 1.5], [0.2, 0.2]), times, sampler=name)
    assert abs(law.line.mean() - line.mean()) < 1e-12
