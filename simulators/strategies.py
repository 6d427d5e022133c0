"""Hypothesis strategies for property tests of mixtures, seeds and diffusion times.

Public, for users' own property tests. Nothing here reads or registers settings profiles; the
calling test suite chooses them (derive profiles from the built-in ``"ci"`` profile).

Conditioning bound of ``mixtures()``: every component covariance is ``Q diag(lambda) Q^T``
with Q orthogonal and ``lambda`` in ``[min_var, max_var]``, so its condition number is at most
``max_var / min_var`` (40 with the defaults, up to rounding of the symmetrisation, ~1e-15
relative); means lie in ``[-mean_scale, mean_scale]^d``; weights are at least
``0.05 / K`` after normalisation (``K <= max_components``). State tolerances against these
bounds: e.g. the score's Jacobian ``-E_r[Sigma_k^{-1}] + Cov_r[Sigma_k^{-1}(x - mu_k)]`` has
operator norm at most ``1 / min_var + d (R + mean_scale)^2 / min_var^2`` on the box
``[-R, R]^d``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from diffbounds.simulators.mixture import GaussianMixture

__all__ = ["mixtures", "seeds", "diffusion_times"]

_COV_TYPES = ("isotropic", "diagonal", "full")
_MIN_WEIGHT = 0.05


def seeds() -> st.SearchStrategy[int]:
    """Seeds for ``np.random.default_rng``: integers in [0, 2**32 - 1].

    Returns
    -------
    hypothesis.strategies.SearchStrategy
    """
    return st.integers(0, 2**32 - 1)


def diffusion_times(min_t: float = 0.0, max_t: float = 5.0) -> st.SearchStrategy[float]:
    """Finite diffusion times t in [min_t, max_t] (0 <= min_t <= max_t).

    Parameters
    ----------
    min_t, max_t : float
        The interval's ends, finite, 0 <= min_t <= max_t.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Floats in [min_t, max_t] (no NaN, no infinity).

    Raises
    ------
    ValueError
        Non-finite ends, ``min_t`` < 0 or ``max_t`` < ``min_t``.

    Examples
    --------
    >>> from diffbounds.simulators import strategies
    >>> strategies.diffusion_times(0.0, 1.0)
    floats(min_value=0.0, max_value=1.0, allow_nan=False, allow_infinity=False)
    """
    if not (np.isfinite(min_t) and np.isfinite(max_t)):
        raise ValueError(f"min_t: bounds must be finite, got [{min_t}, {max_t}]")
    if min_t < 0:
        raise ValueError(f"min_t: must be >= 0, got {min_t}")
    if max_t < min_t:
        raise ValueError(f"max_t: must be >= min_t = {min_t}, got {max_t}")
    return st.floats(min_t, max_t, allow_nan=False, allow_infinity=False)


def _log_uniform(min_var: float, max_var: float, shape) -> st.SearchStrategy[np.ndarray]:
    """lambda = min_var (max_var / min_var)^u with u uniform on [0, 1] (elementwise)."""
    unit = hnp.arrays(np.float64, shape, elements=st.floats(0.0, 1.0))
    ratio = max_var / min_var
    return unit.map(lambda u: np.minimum(max_var, np.maximum(min_var, min_var * ratio**u)))


def mixtures(
    min_dim: int = 1,
    max_dim: int = 4,
    max_components: int = 4,
    cov_types: Iterable[str] = _COV_TYPES,
    mean_scale: float = 3.0,
    min_var: float = 0.1,
    max_var: float = 4.0,
) -> st.SearchStrategy[GaussianMixture]:
    """Well-conditioned ``GaussianMixture``s (see the module docstring for the bounds).

    Weights: floats in [0.05, 1], normalised. Means: floats in [-mean_scale, mean_scale].
    Covariances by ``cov_type``: isotropic / diagonal variances log-uniform in
    [min_var, max_var]; full = Q diag(lambda) Q^T, Q from the QR factorisation of a matrix with
    entries in [-1, 1], lambda log-uniform in [min_var, max_var], symmetrised.

    Parameters
    ----------
    min_dim, max_dim : int
        Range of the dimension d, 1 <= min_dim <= max_dim.
    max_components : int
        Largest number of components K, >= 1.
    cov_types : iterable of str
        Non-empty subset of ("isotropic", "diagonal", "full").
    mean_scale : float
        Bound on the absolute value of the mean entries, finite and >= 0.
    min_var, max_var : float
        Range of the covariance eigenvalues, 0 < min_var <= max_var, finite.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        A strategy drawing ``GaussianMixture`` instances.

    Raises
    ------
    ValueError
        Any argument outside its range.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from diffbounds.simulators import strategies
    >>> @settings(max_examples=3, database=None)
    ... @given(strategies.mixtures(max_dim=2))
    ... def test_dim(q):
    ...     assert 1 <= q.dim <= 2
    >>> test_dim()
    """
    for name, value in (("min_dim", min_dim), ("max_dim", max_dim)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name}: must be an integer >= 1, got {value!r}")
    if max_dim < min_dim:
        raise ValueError(f"max_dim: must be >= min_dim = {min_dim}, got {max_dim}")
    if not isinstance(max_components, int) or isinstance(max_components, bool):
        raise ValueError(f"max_components: must be an integer >= 1, got {max_components!r}")
    if max_components < 1:
        raise ValueError(f"max_components: must be >= 1, got {max_components}")
    cov_types = tuple(cov_types)
    if not cov_types or any(c not in _COV_TYPES for c in cov_types):
        raise ValueError(f"cov_types: must be a non-empty subset of {_COV_TYPES}, got {cov_types}")
    if not (np.isfinite(mean_scale) and mean_scale >= 0):
        raise ValueError(f"mean_scale: must be finite and >= 0, got {mean_scale}")
    if not (np.isfinite(min_var) and min_var > 0):
        raise ValueError(f"min_var: must be finite and > 0, got {min_var}")
    if not (np.isfinite(max_var) and max_var >= min_var):
        raise ValueError(f"max_var: must be finite and >= min_var = {min_var}, got {max_var}")

    @st.composite
    def build(draw) -> GaussianMixture:
        d = draw(st.integers(min_dim, max_dim))
        K = draw(st.integers(1, max_components))
        cov_type = draw(st.sampled_from(cov_types))
        weights = draw(hnp.arrays(np.float64, K, elements=st.floats(_MIN_WEIGHT, 1.0)))
        means = draw(
            hnp.arrays(
                np.float64,
                (K, d),
                elements=st.floats(-mean_scale, mean_scale, allow_subnormal=False),
            )
        )
        if cov_type == "isotropic":
            cov = draw(_log_uniform(min_var, max_var, K))
        elif cov_type == "diagonal":
            cov = draw(_log_uniform(min_var, max_var, (K, d)))
        else:
            raw = draw(hnp.arrays(np.float64, (K, d, d), elements=st.floats(-1.0, 1.0, width=32)))
            lam = draw(_log_uniform(min_var, max_var, (K, d)))
            q, _ = np.linalg.qr(raw)  # orthogonal even when raw is singular (Householder)
            cov = np.einsum("kij,kj,klj->kil", q, lam, q)
            cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
        return GaussianMixture(weights, means, cov, normalize=True)

    return build()
