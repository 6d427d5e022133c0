"""Assertions for your own sampler's test suite, and the Hypothesis strategies of the project.

Five lines in a pytest file (README, "Test your own sampler")::

    from diffbounds.testing import assert_sampler_order
    from mypkg import MySampler          # a diffbounds.simulators.samplers.Sampler

    def test_my_sampler_is_second_order():
        assert_sampler_order(MySampler(), expected=2.0)

``assert_sampler_order`` computes exact 1-D output laws over N (no Monte Carlo, so the test
is deterministic) and passes only when the measured order's 95% interval is consistent with
``expected`` *and* narrow enough to tell it from ``expected ± ½`` (``claims.verdict``):
an inconclusive measurement raises too, with the reason. ``assert_quantile_propagation``
asks Corollary B.6's score-error question (``claims.sampler_order.quantile_propagation``).

Strategies (need ``hypothesis``): ``mixtures``, ``seeds``, ``diffusion_times`` from
``diffbounds.simulators.strategies``.
"""

from __future__ import annotations

# the strategies are resolved lazily by __getattr__ (hypothesis is optional)
__all__ = ["assert_sampler_order", "assert_quantile_propagation",  # noqa: F822
           "mixtures", "seeds", "diffusion_times"]


def assert_sampler_order(sampler, expected: float | None = None, *, mixture=None,
                         times_family=None, N_grid=None, metric: str = "tv",
                         allow_inconclusive: bool = False, **kw):
    """Assert that ``sampler`` converges at order ``expected`` in N (exact 1-D laws).

    Parameters
    ----------
    sampler : str or simulators.samplers.Sampler
        A built-in name or a sampler of the Gaussian-step form x′ = m_k(x) + c_k ξ.
    expected : float, optional
        Order p (distance ∝ N^{−p}), checked two-sided; None: one-sided against Lemma B.4's
        exponent −½ (TV).
    mixture, times_family, N_grid, metric, **kw
        Passed to ``claims.sampler_order.sampler_order`` (defaults: the bimodal 1-D mixture,
        exponential schedule T = 6 → 1e-2, N = 20 … 320, TV).
    allow_inconclusive : bool
        Pass on an inconclusive verdict (default False: it raises).

    Returns
    -------
    claims.sampler_order.OrderResult

    Raises
    ------
    AssertionError
        The verdict fails (or is inconclusive, unless allowed), with the measured order and
        interval and the reason.
    """
    from diffbounds.claims.sampler_order import DEFAULT_N_GRID, sampler_order

    r = sampler_order(sampler, mixture, times_family,
                      DEFAULT_N_GRID if N_grid is None else N_grid, metric,
                      expected=expected, **kw)
    if r.state == "holds" or (allow_inconclusive and r.state == "inconclusive"):
        return r
    raise AssertionError(
        f"sampler {r.sampler!r}: measured {r.metric} order {r.order:.3f} ± "
        f"{r.order_half_width:.3f} (95%) over N = {list(map(int, r.N))}; "
        f"expected {'≥ ½ (Lemma B.4)' if expected is None else expected}: {r.state} — "
        f"{r.reason}")


def assert_quantile_propagation(sampler, *, mixture=None, allow_inconclusive: bool = False,
                                **kw):
    """Assert that ``sampler`` propagates a quantile-controlled score error within Corollary
    B.6's score-error terms (ledger constant) and at its ε-rate.

    Parameters
    ----------
    sampler : str or simulators.samplers.Sampler
    mixture : 1-D GaussianMixture, optional
    allow_inconclusive : bool
        Pass on an inconclusive verdict (e.g. no ledger constant pinned yet).
    **kw
        Passed to ``claims.sampler_order.quantile_propagation``.

    Returns
    -------
    claims.sampler_order.PropagationResult

    Raises
    ------
    AssertionError
        The verdict fails (or is inconclusive, unless allowed), with the reason.
    """
    from diffbounds.claims.sampler_order import quantile_propagation

    r = quantile_propagation(sampler, mixture, **kw)
    if r.state == "holds" or (allow_inconclusive and r.state == "inconclusive"):
        return r
    raise AssertionError(f"sampler {r.sampler!r}: quantile propagation {r.state} — {r.reason}")


def __getattr__(name):
    if name in ("mixtures", "seeds", "diffusion_times"):
        from diffbounds.simulators import strategies

        return getattr(strategies, name)
    raise AttributeError(f"module 'diffbounds.testing' has no attribute {name!r}")
