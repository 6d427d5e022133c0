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

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from diffbounds.claims.sampler_order import OrderResult, PropagationResult
    from diffbounds.simulators.mixture import GaussianMixture
    from diffbounds.simulators.samplers import SamplerLike

# the strategies are resolved lazily by __getattr__ (hypothesis is optional)
__all__ = ["assert_sampler_order", "assert_quantile_propagation",  # noqa: F822
           "mixtures", "seeds", "diffusion_times"]


def assert_sampler_order(sampler: SamplerLike, expected: float | None = None, *,
                         mixture: GaussianMixture | None = None,
                         times_family: str | Callable[[int], ArrayLike] | None = None,
                         N_grid: Sequence[int] | None = None, metric: str = "tv",
                         allow_inconclusive: bool = False, **kw: Any) -> OrderResult:
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
        The measurement, when the verdict holds (or is inconclusive and that is allowed).

    Raises
    ------
    AssertionError
        The verdict fails (or is inconclusive, unless allowed), with the measured order and
        interval and the reason.
    ValueError, TypeError
        Bad arguments, from ``sampler_order`` (named, before any law is computed).

    Examples
    --------
    The exact laws take a few seconds (and compile the lattice kernels once), so the passing
    call is not run here:

    >>> from diffbounds.testing import assert_sampler_order
    >>> assert_sampler_order("pf_heun", expected=2.0).state  # doctest: +SKIP
    'holds'
    >>> assert_sampler_order("pf_euler", metric="w2")
    Traceback (most recent call last):
    ...
    ValueError: expected: needed for metric='w2' (Lemma B.4's exponent is for TV)
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


def assert_quantile_propagation(sampler: SamplerLike, *, mixture: GaussianMixture | None = None,
                                allow_inconclusive: bool = False,
                                **kw: Any) -> PropagationResult:
    """Assert that ``sampler`` propagates a quantile-controlled score error within Corollary
    B.6's score-error terms (ledger constant) and at its ε-rate.

    Parameters
    ----------
    sampler : str or simulators.samplers.Sampler
        A built-in name or a sampler of the Gaussian-step form x′ = m_k(x) + c_k ξ.
    mixture : 1-D GaussianMixture, optional
        Data law (default: the bimodal ``claims.sampler_order.BIMODAL_1D``).
    allow_inconclusive : bool
        Pass on an inconclusive verdict (e.g. no ledger constant pinned yet).
    **kw
        Passed to ``claims.sampler_order.quantile_propagation`` (ε- and δ-lines, N, T,
        t_stop, ...).

    Returns
    -------
    claims.sampler_order.PropagationResult
        The measurement, when the verdict holds (or is inconclusive and that is allowed).

    Raises
    ------
    AssertionError
        The verdict fails (or is inconclusive, unless allowed), with the reason.
    ValueError, TypeError
        Bad arguments, or a sampler not of the Gaussian-step form, from
        ``quantile_propagation`` (before any law is computed).

    Examples
    --------
    The exact laws take seconds, so the passing call is not run here:

    >>> from diffbounds.testing import assert_quantile_propagation
    >>> assert_quantile_propagation("exponential_integrator").state  # doctest: +SKIP
    'holds'
    >>> assert_quantile_propagation("ddim", delta_line=(0.05,))
    Traceback (most recent call last):
    ...
    ValueError: delta_line: need N·δ_step < 1
    """
    from diffbounds.claims.sampler_order import quantile_propagation

    r = quantile_propagation(sampler, mixture, **kw)
    if r.state == "holds" or (allow_inconclusive and r.state == "inconclusive"):
        return r
    raise AssertionError(f"sampler {r.sampler!r}: quantile propagation {r.state} — {r.reason}")


def __getattr__(name: str) -> Any:
    if name in ("mixtures", "seeds", "diffusion_times"):
        from diffbounds.simulators import strategies

        return getattr(strategies, name)
    raise AttributeError(f"module 'diffbounds.testing' has no attribute {name!r}")
