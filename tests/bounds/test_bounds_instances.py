"""Lemma 4.1 / 4.2 instances: quadrature against mpmath and against the closed forms."""

import math

import mpmath as mp
import numpy as np
import pytest

from diffbounds import bounds
from diffbounds.bounds import instances


def _mp_score(x, weights, means, sigma):
    num = mp.mpf(0)
    den = mp.mpf(0)
    for w, mu in zip(weights, means, strict=True):
        g = w * mp.exp(-(x - mu) ** 2 / (2 * sigma ** 2))
        num += g * (-(x - mu) / sigma ** 2)
        den += g
    return num / den


@pytest.mark.parametrize("R,eps,sigma", [(100.0, 1.0, 1.0), (1000.0, 1.0, 1.0),
                                         (100.0, 0.5, 1.0), (100.0, 1.0, 0.5),
                                         (300.0, 2.0, 3.0)])
def test_lemma_4_1_gap_is_eps2_over_sigma2_to_leading_order(R, eps, sigma):
    """Ratio within 5% for R/sigma >= 100 (the lemma's >~, with constant 1, notes §6.1)."""
    assert R / sigma >= 100
    gap = instances.lemma_4_1_l2_gap(R, eps, sigma)
    lead = bounds.get("gupta2024.lemma_4_1").parts["l2_gap"]
    want = float(lead.subs({bounds.symbols.epsilon: eps, bounds.symbols.sigma: sigma}))
    assert abs(gap / want - 1) < 0.05
    assert instances.lemma_4_1_l2_gap(R, eps, sigma, under="p2") == pytest.approx(gap, rel=1e-8)


def test_lemma_4_1_gap_against_mpmath():
    R, eps, sigma = 12.0, 1.0, 1.0
    eta = mp.mpf(eps) ** 2 * sigma ** 2 / R ** 2
    mp.mp.dps = 30

    def f(x):
        p1 = ((1 - eta) * mp.npdf(x, 0, sigma) + eta * mp.npdf(x, -R, sigma))
        s1 = _mp_score(x, [1 - eta, eta], [0, -R], sigma)
        s2 = _mp_score(x, [1 - eta, eta], [0, R], sigma)
        return p1 * (s1 - s2) ** 2

    want = mp.quad(f, [-mp.inf, -R, -R / 2, 0, R / 2, R, mp.inf])
    assert instances.lemma_4_1_l2_gap(R, eps, sigma) == pytest.approx(float(want), rel=1e-7)


def test_lemma_4_1_scores_against_direct_formula():
    R, eps, sigma = 10.0, 1.0, 0.8
    eta = eps ** 2 * sigma ** 2 / R ** 2
    x = np.linspace(-14, 14, 41)
    s1, s2 = instances.lemma_4_1_scores(x, R, eps, sigma)
    for xi, a, b in zip(x, s1, s2, strict=True):
        assert a == pytest.approx(float(_mp_score(mp.mpf(xi), [1 - eta, eta], [0, -R], sigma)),
                                  rel=1e-10, abs=1e-12)
        assert b == pytest.approx(float(_mp_score(mp.mpf(xi), [1 - eta, eta], [0, R], sigma)),
                                  rel=1e-10, abs=1e-12)


def test_lemma_4_1_tv_closed_form_against_quadrature():
    from scipy import integrate, stats

    R, eps, sigma = 3.0, 1.0, 1.0
    eta = eps ** 2 * sigma ** 2 / R ** 2
    f = lambda x: 0.5 * abs(eta * (stats.norm.pdf(x, -R, sigma) - stats.norm.pdf(x, R, sigma)))
    want = sum(integrate.quad(f, a, b, epsabs=1e-14)[0]
               for a, b in ((-40, -R), (-R, 0), (0, R), (R, 40)))
    assert instances.lemma_4_1_tv(R, eps, sigma) == pytest.approx(want, rel=1e-9)
    assert instances.lemma_4_1_tv(R, eps, sigma) <= eta


def test_lemma_4_2_score_vanishes_at_the_crossover():
    S, sigma, x0 = 8.0, 1.0, 2.0
    eta = math.exp(instances.lemma_4_2_log_eta(S, sigma, x0))
    s_hat = float(_mp_score(mp.mpf(x0), [eta, 1 - eta], [0, S], sigma))
    assert abs(s_hat) < 1e-10
    # s_hat - s* = w S/sigma^2, and at x_0 this is x_0/sigma^2 since s_hat(x_0) = 0
    gap = float(instances.lemma_4_2_score_gap(x0, S, sigma, x0))
    assert gap == pytest.approx(x0 / sigma ** 2, rel=1e-12)
    x = np.linspace(-3, 10, 27)
    for xi, g in zip(x, instances.lemma_4_2_score_gap(x, S, sigma, x0), strict=True):
        want = float(_mp_score(mp.mpf(xi), [eta, 1 - eta], [0, S], sigma)) + xi / sigma ** 2
        assert g == pytest.approx(want, rel=1e-8, abs=1e-10)


def test_lemma_4_2_l2_error_against_mpmath():
    S, sigma, x0 = 10.0, 1.3, 2.0
    mp.mp.dps = 30
    a = mp.log(mp.mpf(x0) / (S - x0))

    def f(x):
        w = 1 / (1 + mp.exp(-(a + S * (x - x0) / sigma ** 2)))
        return mp.npdf(x, 0, sigma) * (w * S / sigma ** 2) ** 2

    want = mp.quad(f, [-mp.inf, 0, x0, x0 + 1, mp.inf])
    assert instances.lemma_4_2_l2_error(S, sigma, x0) == pytest.approx(float(want), rel=1e-8)


@pytest.mark.parametrize("S,sigma,x0", [(1000.0, 1.0, 3.0), (2000.0, 1.0, 2.0),
                                        (500.0, 0.5, 1.0)])
def test_lemma_4_2_leading_order(S, sigma, x0):
    """E||s_hat - s*||^2 -> S^2 Phi-bar(x_0/sigma)/sigma^4 as S -> oo. Tolerance model: the
    crossover sits at x_0 + (sigma^2/S) log((S-x_0)/x_0), a relative shift of the Gaussian tail
    by about (x_0/S) log(S/x_0); we allow twice that."""
    got = instances.lemma_4_2_l2_error(S, sigma, x0)
    lead = bounds.get("gupta2024.lemma_4_2").evaluate(S=S, sigma=sigma, x_0=x0)
    tol = 2 * (x0 / S) * math.log(S / x0)
    assert abs(got / lead - 1) < tol


def test_lemma_4_2_literal_crossover_gives_m_to_the_minus_50():
    """At x_0 = 10 sqrt(log m) the error is about S^2 Phi-bar(x_0) ~ S^2 m^-50, far below the
    claimed S^2/m (notes §6.2: 9.6e-149 at m = 1000, S = 100)."""
    m, S = 1000.0, 100.0
    x0 = 10 * math.sqrt(math.log(m))
    log_err = instances.lemma_4_2_log_l2_error(S, 1.0, x0)
    assert math.exp(log_err) == pytest.approx(9.6e-149, rel=0.01)
    assert log_err < math.log(S ** 2 / m) - 300


@pytest.mark.parametrize("bad", [dict(S=2.0, sigma=1.0, x_0=3.0), dict(S=5.0, sigma=0.0, x_0=1.0),
                                 dict(S=5.0, sigma=1.0, x_0=float("nan"))])
def test_instances_reject_bad_input(bad):
    with pytest.raises(ValueError):
        instances.lemma_4_2_l2_error(**bad)


def test_lemma_4_1_rejects_bad_input():
    with pytest.raises(ValueError, match="R"):
        instances.lemma_4_1_l2_gap(0.5, 1.0, 1.0)
    with pytest.raises(ValueError, match="under"):
        instances.lemma_4_1_l2_gap(100.0, 1.0, 1.0, under="p3")
    with pytest.raises(TypeError, match="sigma"):
        instances.lemma_4_1_tv(100.0, 1.0, "one")
