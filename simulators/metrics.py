"""Metrics: score errors, Wasserstein distances, the TV-after-W2 frontier, a TV lower bound.

Thin wrappers that fix the toolkit's conventions over POT and SciPy:

- ``w2`` is W2 (root taken); a name ending in ``_squared`` returns W2².
- Score errors: ``l2_error`` is the mean squared norm, ``quantile_error`` the paper's
  (1−δ)-quantile error D^δ (Gupta et al. 2024, eq. (6)).
- TV is sup_A |P(A) − Q(A)| = ½‖P − Q‖₁ (values in [0, 1]).
- Samples are arrays of shape (n, d); a 1-D array of shape (n,) means d = 1.
- Bad input raises ``ValueError``/``TypeError`` whose message starts with the argument's name,
  before any work; NaN/inf inputs are rejected, so no NaN leaves these functions.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from diffbounds.simulators._validate import check_seed

if TYPE_CHECKING:
    from diffbounds.simulators.mixture import GaussianMixture


class _LazyOT:
    """POT, imported on first use: ``import ot`` loads its torch/jax backends (~2 s), which
    every process importing ``diffbounds.simulators`` (e.g. a sampler run) would otherwise pay."""

    def __getattr__(self, name):
        import ot

        return getattr(ot, name)


ot = _LazyOT()


__all__ = [
    "ClosenessFrontier",
    "HalfspaceTVBound",
    "DEFAULT_MAX_PAIRS",
    "DEFAULT_NUM_ITER_MAX",
    "closeness_frontier",
    "l2_error",
    "quantile_error",
    "quantile_error_interval",
    "sliced_w2",
    "tv_halfspace_lower_bound",
    "w2",
    "w2_squared",
]

#: Largest n·m for the exact n-D solvers: a dense float64 cost matrix of 2.5e7 entries is
#: 200 MB; the network simplex needs working memory on top (not measured here).
DEFAULT_MAX_PAIRS = 25_000_000
#: Network-simplex iteration cap passed to POT (its default is 1e5; n = m = 3000 in 2-D needs
#: fewer, ≈ 1.6 s). Raised 100× so that time, not this cap, is the practical limit.
DEFAULT_NUM_ITER_MAX = 10_000_000


# --------------------------------------------------------------------------- validation


def _as_samples(name: str, x, *, allow_empty: bool = False) -> np.ndarray:
    """Return x as a float64 C-contiguous (n, d) array; (n,) becomes (n, 1)."""
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name}: must be array-like of numbers ({exc})") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise TypeError(f"{name}: must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name}: must have shape (n,) or (n, d), got {arr.shape}")
    if arr.shape[1] < 1 or (arr.shape[0] < 1 and not allow_empty):
        raise ValueError(f"{name}: must be non-empty, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or inf")
    return arr


def _as_weights(name: str, w, n: int) -> np.ndarray:
    """Uniform weights if w is None; else validated, normalised in float64 (POT#126)."""
    if w is None:
        return np.full(n, 1.0 / n)
    arr = np.asarray(w)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise TypeError(f"{name}: must be a real numeric array, got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(f"{name}: must have shape ({n},), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or inf")
    if np.any(arr < 0):
        raise ValueError(f"{name}: must be non-negative")
    total = arr.sum()
    if not total > 0:
        raise ValueError(f"{name}: must have a positive sum")
    return arr / total


def _same_dim(x: np.ndarray, y: np.ndarray, names: str = "x, y") -> None:
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"{names}: dimensions differ ({x.shape[1]} vs {y.shape[1]})")


def _check_probability(name: str, value, *, closed_low: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: must be a real number, got {type(value).__name__}")
    v = float(value)
    ok = (0.0 <= v < 1.0) if closed_low else (0.0 < v < 1.0)
    if not ok:
        interval = "[0, 1)" if closed_low else "(0, 1)"
        raise ValueError(f"{name}: must be in {interval}, got {value!r}")
    return v


def _check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: must be an integer, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name}: must be >= 1, got {value}")
    return int(value)


def _check_seed(value) -> int:
    return check_seed(value)  # the package's one seed rule


# --------------------------------------------------------------------------- score errors


def _error_norms(estimate, truth) -> np.ndarray:
    est = _as_samples("estimate", estimate)
    tru = _as_samples("truth", truth)
    if est.shape != tru.shape:
        raise ValueError(f"estimate, truth: shapes differ ({est.shape} vs {tru.shape})")
    return np.linalg.norm(est - tru, axis=1)


def _quantile_rank(n: int, delta: float) -> int:
    """k = ⌈(1−δ)n⌉ (1-based), with (1−δ)n within 1e-9 of an integer taken as that integer."""
    target = (1.0 - delta) * n
    nearest = round(target)
    k = nearest if abs(target - nearest) <= 1e-9 * max(1.0, target) else math.ceil(target)
    return min(max(int(k), 1), n)


def quantile_error(estimate: ArrayLike, truth: ArrayLike, delta: float) -> float:
    """Empirical D^δ: the ⌈(1−δ)n⌉-th order statistic (1-based) of ‖estimate_i − truth_i‖.

    D^δ_p(f, g) = inf{ε ≥ 0 : P_{x∼p}[‖f(x) − g(x)‖ ≥ ε] ≤ δ} (paper eq. (6)) is the (lower)
    (1−δ)-quantile of the error norm; this is its plug-in estimate from n points x_i ∼ p.

    Parameters
    ----------
    estimate, truth : array_like
        Score values at the same n points, shape (n, d) ((n,) means d = 1), real and finite.
    delta : float
        Failure probability δ in (0, 1).

    Returns
    -------
    float
        The empirical D^δ, in the units of the scores.

    Raises
    ------
    TypeError, ValueError
        ``estimate``/``truth`` not real arrays of the same shape, empty or not finite;
        ``delta`` (or ``confidence``) not in (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from diffbounds.simulators import metrics
    >>> err = np.arange(1.0, 11.0)[:, None]  # error norms 1, 2, ..., 10
    >>> metrics.quantile_error(err, np.zeros_like(err), 0.2)  # the 8th of 10
    8.0
    """
    delta = _check_probability("delta", delta)
    norms = _error_norms(estimate, truth)
    k = _quantile_rank(norms.size, delta)
    return float(np.partition(norms, k - 1)[k - 1])


def quantile_error_interval(
    estimate: ArrayLike, truth: ArrayLike, delta: float, confidence: float = 0.95
) -> tuple[float, float]:
    """Distribution-free confidence interval (lower, upper) for D^δ from order statistics.

    With p = 1−δ, B ∼ Binomial(n, p) and ξ the p-quantile of the error norm, the order
    statistics X_(l) ≤ X_(u) satisfy P[X_(l) ≤ ξ ≤ X_(u)] ≥ P[l ≤ B ≤ u−1] for any law
    (continuous or not). l and u are chosen equal-tailed: l is the largest rank with
    P[B < l] ≤ α/2 and u the smallest with P[B ≥ u] ≤ α/2, α = 1 − confidence.
    When n is too small for a side, that side is trivial: lower = 0.0 (norms are ≥ 0) when
    l = 0, upper = +inf when u = n + 1.

    Parameters
    ----------
    estimate, truth : array_like
        Score values at the same n points, shape (n, d) ((n,) means d = 1), real and finite.
    delta : float
        Failure probability δ in (0, 1).
    confidence : float
        Coverage of the interval, in (0, 1).

    Returns
    -------
    (float, float)
        (lower, upper), in the units of the scores; lower may be 0.0 and upper +inf.

    Raises
    ------
    TypeError, ValueError
        ``estimate``/``truth`` not real arrays of the same shape, empty or not finite;
        ``delta`` (or ``confidence``) not in (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from diffbounds.simulators import metrics
    >>> err = np.arange(1.0, 101.0)[:, None]
    >>> lo, hi = metrics.quantile_error_interval(err, np.zeros_like(err), 0.5)
    >>> bool(lo <= metrics.quantile_error(err, np.zeros_like(err), 0.5) <= hi)
    True
    """
    delta = _check_probability("delta", delta)
    confidence = _check_probability("confidence", confidence)
    norms = np.sort(_error_norms(estimate, truth))
    n = norms.size
    half_alpha = 0.5 * (1.0 - confidence)
    j = np.arange(n + 1)
    p = 1.0 - delta
    from scipy import stats  # imported here: scipy.stats costs ~1 s at every process start

    l_rank = int(np.count_nonzero(stats.binom.cdf(j, n, p) <= half_alpha))  # P[B ≤ l−1] ≤ α/2
    u_rank = int(np.argmax(stats.binom.sf(j, n, p) <= half_alpha)) + 1  # P[B ≥ u] ≤ α/2
    lower = float(norms[l_rank - 1]) if l_rank >= 1 else 0.0
    upper = float(norms[u_rank - 1]) if u_rank <= n else math.inf
    return lower, upper


def l2_error(estimate: ArrayLike, truth: ArrayLike) -> float:
    """Mean squared error norm (1/n) Σ ‖estimate_i − truth_i‖² (the usual L² score error).

    Parameters
    ----------
    estimate, truth : array_like
        Score values at the same n points, shape (n, d) ((n,) means d = 1), real and finite.

    Returns
    -------
    float
        The mean squared norm (squared units of the scores; not its root).

    Raises
    ------
    TypeError, ValueError
        ``estimate``/``truth`` not real arrays of the same shape, empty or not finite.

    Examples
    --------
    >>> from diffbounds.simulators import metrics
    >>> metrics.l2_error([[3.0, 4.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]])
    12.5
    """
    norms = _error_norms(estimate, truth)
    return float(np.mean(norms**2))


# --------------------------------------------------------------------------- Wasserstein


def _w2_squared_1d(x: np.ndarray, a: np.ndarray, y: np.ndarray, b: np.ndarray) -> float:
    """Exact W2² on the line: ∫₀¹ (F_x⁻¹(t) − F_y⁻¹(t))² dt over the merged CDF jumps."""
    ix, iy = np.argsort(x, kind="stable"), np.argsort(y, kind="stable")
    xs, ys = x[ix], y[iy]
    ca, cb = np.cumsum(a[ix]), np.cumsum(b[iy])
    ca[-1] = cb[-1] = 1.0
    t = np.union1d(ca, cb)  # sorted breakpoints in (0, 1], last = 1
    widths = np.diff(t, prepend=0.0)
    mids = t - 0.5 * widths
    qx = xs[np.minimum(np.searchsorted(ca, mids), xs.size - 1)]
    qy = ys[np.minimum(np.searchsorted(cb, mids), ys.size - 1)]
    return float(np.sum(widths * (qx - qy) ** 2))


def _check_pairs(n: int, m: int, max_pairs: int, what: str) -> None:
    if n * m > max_pairs:
        raise ValueError(
            f"x, y: exact {what} with n={n}, m={m} needs a dense {n}x{m} cost matrix "
            f"({8 * n * m / 1e6:.0f} MB, n*m={n * m} > max_pairs={max_pairs}); use "
            f"sliced_w2 (a lower bound on W2), subsample, or raise max_pairs deliberately"
        )


#: relative duality gap above which an n-D transport solution is not accepted as optimal
_GAP_RTOL = 1e-9
#: absolute duality-gap allowance, relative to the median cost (for near-zero optimal costs)
_GAP_ATOL = 1e-14
#: growth factor of the cost cap between capped re-solves (see ``_exact_ot``)
_CAP_GROWTH = 16.0


def _sq_dist(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Squared Euclidean cost matrix from coordinate differences.

    Unlike the expansion |x|² + |y|² − 2⟨x, y⟩ (``ot.dist``), each entry is accurate to a few
    ulps of itself, so coincident far-away points cost exactly 0 (the expansion leaves
    rounding noise of the size of ulp(|x|²): 4e-3 at |x| = 3e6).
    """
    M = np.zeros((x.shape[0], y.shape[0]))
    for k in range(x.shape[1]):
        diff = np.subtract.outer(x[:, k], y[:, k])
        diff *= diff
        M += diff
    return M


def _duality_gap(a, b, M, plan, u):
    """(primal cost ⟨π, M⟩, a lower bound on the optimal cost, rounding allowance of both).

    The dual lower bound is Σ a_i u_i + Σ b_j v_j with v the c-transform of u,
    v_j = min_i (M_ij − u_i), so that (u, v) is dual feasible up to the rounding of one
    subtraction per entry (relative ε of v_j) and of the sums; the allowance bounds all of it:
    (log₂(n + m) + 4) · ε · (Σ a|u| + Σ b|v| + ⟨π, M⟩). Large potentials (costs over many
    orders of magnitude) make the allowance large, and the certificate then fails honestly.
    """
    primal = float(np.vdot(plan, M))
    v = np.full(M.shape[1], np.inf)
    rows = max(1, 1_000_000 // max(M.shape[1], 1))  # bounded temporaries
    for i in range(0, M.shape[0], rows):
        np.minimum(v, np.min(M[i:i + rows] - u[i:i + rows, None], axis=0), out=v)
    dual = float(a @ u + b @ v)
    scale = float(a @ np.abs(u) + b @ np.abs(v)) + abs(primal)
    allowance = (math.log2(a.size + b.size) + 4.0) * np.finfo(np.float64).eps * scale
    return primal, dual, allowance


def _exact_ot(a: np.ndarray, b: np.ndarray, M: np.ndarray, num_iter_max: int) -> float:
    """Optimal transport cost min ⟨π, M⟩ over couplings of a and b, certified by its duality gap.

    POT's network simplex works in floating point: when the costs span many orders of magnitude
    (a few far-away points), its potentials grow to the largest cost and reduced costs of the
    small entries drown in rounding, so it can stop at a suboptimal plan and say nothing
    (issue 9 §6: +0.4% on 300 points plus one far point shared by both sets). So every solution
    is checked: the plan's cost P must exceed the dual bound D of ``_duality_gap``, less its
    rounding allowance, by at most ``_GAP_RTOL``·P + ``_GAP_ATOL``·median(M). If not, the
    problem is re-solved with the costs capped, M′ = min(M, C), C growing by ``_CAP_GROWTH``
    from the largest row/column minimum of M (every plan uses an entry at least that large): a
    plan optimal for M′ that uses no capped entry is optimal for M, since
    ⟨π, M⟩ ≥ ⟨π, M′⟩ ≥ ⟨π*, M′⟩ = ⟨π*, M⟩ for every π; its gap is certified on M′, whose
    small range keeps the potentials small (plan entries at the rounding level of the
    marginals, ≤ 64 ε max(a, b), on capped cells are float dust of POT's mass balancing and
    are dropped).
    RuntimeError when no cap up to max M gives a certified optimum, or when the simplex stops
    at ``num_iter_max``.
    """
    top = float(M.max())
    atol = _GAP_ATOL * float(np.median(M))
    dust = 64.0 * np.finfo(np.float64).eps * max(float(a.max()), float(b.max()))
    caps = [top]
    cap = max(float(M.min(axis=1).max()), float(M.min(axis=0).max()))
    if cap > 0:
        while cap < top:
            caps.append(cap)
            cap *= _CAP_GROWTH
    else:
        caps.append(0.0)
    last = None
    for i, cap in enumerate(caps):
        Mc = M if cap >= top else np.minimum(M, cap)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            plan, log = ot.emd(a, b, Mc, numItermax=num_iter_max, log=True)
        if log.get("warning") is not None:
            raise RuntimeError(
                f"ot.emd did not reach optimality ({log['warning']}); increase num_iter_max "
                f"(now {num_iter_max}) or use sliced_w2"
            )
        if cap < top:
            capped = (plan > 0) & (M > cap)
            # mass at the rounding level of the marginals (POT balances them in float64) is
            # not a choice of the plan: drop it (a marginal error of a few ulps)
            capped_real = capped & (plan > dust)
            if capped_real.any():
                continue  # the capped problem's optimum uses a capped entry: raise the cap
            plan[capped] = 0.0
        primal, dual, allowance = _duality_gap(a, b, Mc, plan, np.asarray(log["u"]))
        if primal - dual + allowance <= _GAP_RTOL * abs(primal) + atol:
            return max(float(np.vdot(plan, M)), 0.0)
        last = (cap, primal, dual, allowance)
        if i == 0:
            continue  # uncapped solve not certified: try the capped ladder from the bottom
    gap = ("no capped solve was feasible" if last is None else
           f"duality gap {last[1] - last[2]:.3g} on a cost {last[1]:.6g} (allowed "
           f"{_GAP_RTOL:.0e} relative + rounding {last[3]:.3g})")
    raise RuntimeError(
        f"exact OT could not be certified optimal: {gap}; the "
        f"costs span [{float(M.min()):.3g}, {top:.3g}], beyond what the float64 network simplex "
        f"resolves; rescale or drop far-away points, or use sliced_w2"
    )


def w2_squared(
    x: ArrayLike,
    y: ArrayLike,
    x_weights: ArrayLike | None = None,
    y_weights: ArrayLike | None = None,
    *,
    max_pairs: int = DEFAULT_MAX_PAIRS,
    num_iter_max: int = DEFAULT_NUM_ITER_MAX,
) -> float:
    """Exact W2² between the (weighted) empirical laws of x (n, d) and y (m, d).

    d = 1: quantile functions, O((n+m) log(n+m)), any sizes, no size limit.
    d > 1: POT's network simplex (``ot.emd``) on the squared-Euclidean cost (built from
    coordinate differences, so coincident far points cost exactly 0); the value is certified
    within 1e-9 relative (plus float rounding) of the optimum by a duality gap. When the costs
    span so many orders of magnitude that the simplex stops at a suboptimal plan, the problem
    is re-solved with capped costs until certified (``_exact_ot``). Refused (ValueError) when
    n·m > max_pairs (default 2.5e7 ≈ 200 MB of cost matrix) — use ``sliced_w2`` there.
    RuntimeError if the network simplex stops at ``num_iter_max`` before optimality, or if no
    certified optimum is found — never a suboptimal value.

    Parameters
    ----------
    x : array_like
        Samples, shape (n, d) ((n,) means d = 1), finite.
    y : array_like
        Samples, shape (m, d), finite.
    x_weights, y_weights : array_like or None
        Non-negative weights, shapes (n,) and (m,), normalised to sum 1; None for uniform.
    max_pairs : int
        Largest n·m solved by dense OT in d > 1.
    num_iter_max : int
        Iteration limit of the network simplex.

    Returns
    -------
    float
        W2², in squared units of the samples.

    Raises
    ------
    TypeError, ValueError
        Non-numeric or non-finite samples, differing dimensions, invalid weights, or
        n·m > ``max_pairs`` in d > 1.
    RuntimeError
        No certified optimum (see above).

    Examples
    --------
    >>> from diffbounds.simulators import metrics
    >>> metrics.w2_squared([[0.0, 0.0], [1.0, 0.0]], [[0.0, 2.0], [1.0, 2.0]])
    4.0
    """
    xa = _as_samples("x", x)
    ya = _as_samples("y", y)
    _same_dim(xa, ya)
    a = _as_weights("x_weights", x_weights, xa.shape[0])
    b = _as_weights("y_weights", y_weights, ya.shape[0])
    max_pairs = _check_positive_int("max_pairs", max_pairs)
    num_iter_max = _check_positive_int("num_iter_max", num_iter_max)
    if xa.shape[1] == 1:
        return _w2_squared_1d(xa[:, 0], a, ya[:, 0], b)
    _check_pairs(xa.shape[0], ya.shape[0], max_pairs, "W2")
    return _exact_ot(a, b, _sq_dist(xa, ya), num_iter_max)


def w2(
    x: ArrayLike,
    y: ArrayLike,
    x_weights: ArrayLike | None = None,
    y_weights: ArrayLike | None = None,
    *,
    max_pairs: int = DEFAULT_MAX_PAIRS,
    num_iter_max: int = DEFAULT_NUM_ITER_MAX,
) -> float:
    """Exact W2 (root taken) between empirical laws; see ``w2_squared`` for methods and limits.

    Parameters
    ----------
    x, y, x_weights, y_weights, max_pairs, num_iter_max
        As for :func:`w2_squared`.

    Returns
    -------
    float
        W2, in the units of the samples.

    Raises
    ------
    TypeError, ValueError, RuntimeError
        As for :func:`w2_squared`.

    Examples
    --------
    >>> from diffbounds.simulators import metrics
    >>> metrics.w2([0.0, 1.0, 2.0], [3.0, 4.0, 5.0])
    3.0
    """
    return math.sqrt(
        w2_squared(x, y, x_weights, y_weights, max_pairs=max_pairs, num_iter_max=num_iter_max)
    )


def sliced_w2(
    x: ArrayLike, y: ArrayLike, n_projections: int = 200, seed: int = 0,
    x_weights: ArrayLike | None = None, y_weights: ArrayLike | None = None
) -> float:
    """Sliced W2: sqrt of the mean over unit directions θ_k of W2²(⟨θ_k, x⟩, ⟨θ_k, y⟩).

    Directions are i.i.d. uniform on the sphere from ``np.random.default_rng(seed)`` (no global
    RNG) and passed to ``ot.sliced_wasserstein_distance``. Each projection is 1-Lipschitz, so
    for every draw sliced_w2 ≤ w2 exactly: it is a lower bound on W2, usable at any size.

    That bound is between the *empirical* laws. Against the population W2 (exact product
    laws, ``benchmarks/estimator_power.py``, 200 directions): a discrepancy along one direction
    shows at about W2/√d (exact W2 2.5–2.7: sliced 1.8 in d = 2, 0.95 in d = 8, 0.45 in
    d = 32), and sampling noise puts a floor of 0.04–0.14 (n = 2000 / 600) under it, above the
    population W2 when that is small (0.135 ± 0.04 against an exact 0.039 in d = 2, n = 600):
    it stops resolving W2 ≲ 0.1 at these sizes, and a W2 excess of size Δ needs Δ/√d ≳ 0.1.

    Parameters
    ----------
    x, y : array_like
        Samples, shapes (n, d) and (m, d) ((n,) means d = 1), finite.
    n_projections : int
        Number of random directions, >= 1.
    seed : int
        Seed of the directions, >= 0.
    x_weights, y_weights : array_like or None
        Non-negative weights, shapes (n,) and (m,); None for uniform.

    Returns
    -------
    float
        Sliced W2 (root taken), in the units of the samples; <= ``w2(x, y)``.

    Raises
    ------
    TypeError, ValueError
        Non-numeric or non-finite samples, differing dimensions, invalid weights,
        ``n_projections`` < 1 or an invalid ``seed``.

    Examples
    --------
    >>> import numpy as np
    >>> from diffbounds.simulators import metrics
    >>> x = np.random.default_rng(0).standard_normal((50, 3))
    >>> bool(metrics.sliced_w2(x, x + 1.0, seed=1) <= metrics.w2(x, x + 1.0))
    True
    """
    xa = _as_samples("x", x)
    ya = _as_samples("y", y)
    _same_dim(xa, ya)
    a = _as_weights("x_weights", x_weights, xa.shape[0])
    b = _as_weights("y_weights", y_weights, ya.shape[0])
    n_projections = _check_positive_int("n_projections", n_projections)
    seed = _check_seed(seed)
    theta = np.random.default_rng(seed).standard_normal((xa.shape[1], n_projections))
    theta /= np.linalg.norm(theta, axis=0, keepdims=True)
    value = ot.sliced_wasserstein_distance(xa, ya, a, b, p=2, projections=theta)
    return float(value)


# --------------------------------------------------------------------------- TV after W2


@dataclass(frozen=True)
class ClosenessFrontier:
    """The measured (ε, γ) trade-off of "ε-close in TV to something γ-close in W2".

    Attributes
    ----------
    eps : numpy.ndarray
        The ε grid, shape (k,).
    w2 : numpy.ndarray
        Frontier W2 γ(ε) at each ε for (x, y), shape (k,), units of the samples.
    null : numpy.ndarray
        The same quantity between an independent target sample and y (the finite-sample null
        level), shape (k,).
    null_method : str
        "y_null" or "split_y" (see :func:`closeness_frontier`).
    """

    eps: np.ndarray
    w2: np.ndarray
    null: np.ndarray
    null_method: str


def _frontier_squared(
    x: np.ndarray, y: np.ndarray, eps: np.ndarray, max_pairs: int, num_iter_max: int
) -> np.ndarray:
    n, m = x.shape[0], y.shape[0]
    out = np.empty(eps.size)
    if x.shape[1] == 1 and n == m:
        # Exact 1-D path (Chapel & Tavenard 2025): with unit masses the optimal cost of moving
        # k samples is cumsum(marginal_costs)[k−1]; the cost is linear in the mass between
        # consecutive integers k (the matching polytope is integral and its edges change the
        # matching size by at most one), so mass (1−ε)·n is interpolated.
        _, _, marginal = ot.partial.partial_wasserstein_1d(x[:, 0], y[:, 0], p=2)
        cost_k = np.concatenate(([0.0], np.cumsum(marginal))) / n  # k = 0..n samples
        out[:] = np.interp((1.0 - eps) * n, np.arange(n + 1), cost_k)
        return np.maximum(out, 0.0)
    _check_pairs(n, m, max_pairs, "partial OT")
    a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
    M = _sq_dist(x, y)
    total = min(a.sum(), b.sum())
    for i, e in enumerate(eps):
        if e == 0.0:
            out[i] = _exact_ot(a, b, M, num_iter_max)
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                cost = ot.partial.partial_wasserstein2(
                    a, b, M, m=min(1.0 - e, total), numItermax=num_iter_max
                )
        except ValueError as exc:  # POT raises ValueError when the inner EMD is not optimal
            raise RuntimeError(
                f"ot.partial.partial_wasserstein2 failed at eps={e} ({exc}); increase "
                f"num_iter_max (now {num_iter_max})"
            ) from exc
        out[i] = max(float(cost), 0.0)
    return out


def closeness_frontier(
    x: ArrayLike,
    y: ArrayLike,
    eps: ArrayLike,
    *,
    y_null: ArrayLike | None = None,
    max_pairs: int = DEFAULT_MAX_PAIRS,
    num_iter_max: int = DEFAULT_NUM_ITER_MAX,
) -> ClosenessFrontier:
    """γ(ε) = min{W2(q′, ŷ) : TV(q′, x̂) ≤ ε} for each ε, with its finite-sample null level.

    x̂, ŷ are the uniform empirical laws of x (n, d) and y (m, d) (y: the target sample).
    This measures the paper's output notion ("ε-close in TV to something γ-close in W2",
    Theorem 1.2). A q′ with TV(q′, x̂) ≤ ε keeps a sub-measure of x̂ of mass ≥ 1−ε and adds
    free mass; the free mass is best put on the part of ŷ left unmatched, at zero cost, so

        γ(ε)² = min over sub-couplings π ≥ 0 with π1 ≤ a, πᵀ1 ≤ b, Σπ = 1−ε of ⟨π, ‖x_i − y_j‖²⟩,

    the *un-normalised* partial-OT cost (POT ``partial_wasserstein2(a, b, M, m=1−ε)``); it is
    not divided by 1−ε. γ(0) = W2(x̂, ŷ), γ is non-increasing, γ → 0 as ε → 1.
    Paths: d = 1 with n = m uses ``ot.partial.partial_wasserstein_1d`` (exact, all ε at once);
    otherwise dense partial OT per ε (ε = 0 is ``ot.emd2``), limited by ``max_pairs``.

    Null level: the same frontier between an independent target sample and y. Pass it as
    ``y_null`` (ideally of size n, drawn independently of x and y): null = γ(ε) for (y_null, y).
    If ``y_null`` is None, y is split into its first and second halves (i.i.d. order assumed)
    and null = γ(ε) for (first half, second half); smaller samples make this null level
    conservative (biased upwards). ``null_method`` records which was used.

    Power (measured against exact product laws, ``benchmarks/estimator_power.py``; sizes of
    claim ``frontier_w2``, ε = 0.5, 5 seeds at n = 600 and 3 at n = 2000): the null level grows
    with d — 0.044 / 0.71 / 2.64 (n = 600) and 0.024 / 0.61 / 2.51 (n = 2000) in d = 2 / 8 / 32
    — but spreads little (SD ≤ 0.012), so the excess γ(ε) − null still moves with a true excess.
    At a true γ* of 0 it reads +0.001 / +0.016 / +0.037 (SD 0.003 / 0.019 / 0.020) at n = 600
    and +0.001 / +0.005 / +0.013 (SD ≤ 0.003) at n = 2000; at a true γ* of 0.04–0.11 (a score
    error along one direction) it reads 0.05–0.16, overstating by up to +0.08 in d ≥ 8. So at
    n = 600 it stops resolving excesses below ≈ 0.05 in d = 2 and ≈ 0.08 in d = 8 and 32, and
    at n = 2000 below ≈ 0.03 in every d ≤ 32.

    Parameters
    ----------
    x : array_like
        The sample whose law is tested, shape (n, d) ((n,) means d = 1).
    y : array_like
        The target sample, shape (m, d).
    eps : float or array_like
        TV budgets ε, each in [0, 1); a number or a non-empty 1-D array.
    y_null : array_like or None
        An independent target sample for the null level, shape (n', d); None splits ``y``.
    max_pairs : int
        Largest n·m solved by dense (partial) OT.
    num_iter_max : int
        Iteration limit of the network simplex.

    Returns
    -------
    ClosenessFrontier
        The ε grid, γ(ε) and the null level, each shape (k,).

    Raises
    ------
    TypeError, ValueError
        Invalid samples or ``eps``, differing dimensions, a ``y`` of fewer than 2 points
        without ``y_null``, or a problem larger than ``max_pairs``.
    RuntimeError
        POT's partial OT fails at some ε (increase ``num_iter_max``).

    Examples
    --------
    >>> import numpy as np
    >>> from diffbounds.simulators import metrics
    >>> x = np.array([0.0, 1.0, 2.0, 30.0])
    >>> front = metrics.closeness_frontier(x, np.array([0.0, 1.0, 2.0, 3.0]), [0.0, 0.25])
    >>> front.w2.round(3).tolist()  # dropping a quarter of the mass removes the outlier
    [13.5, 0.0]
    """
    xa = _as_samples("x", x)
    ya = _as_samples("y", y)
    _same_dim(xa, ya)
    eps_arr = np.atleast_1d(np.asarray(eps))
    if eps_arr.ndim != 1 or eps_arr.size == 0:
        raise ValueError(
            f"eps: must be a number or a non-empty 1-D array, got shape {eps_arr.shape}"
        )
    if not (np.issubdtype(eps_arr.dtype, np.floating) or np.issubdtype(eps_arr.dtype, np.integer)):
        raise TypeError(f"eps: must be real, got dtype {eps_arr.dtype}")
    eps_arr = eps_arr.astype(np.float64)
    if not np.all((eps_arr >= 0.0) & (eps_arr < 1.0)):  # also rejects NaN
        raise ValueError(f"eps: every value must be in [0, 1), got {eps_arr}")
    max_pairs = _check_positive_int("max_pairs", max_pairs)
    num_iter_max = _check_positive_int("num_iter_max", num_iter_max)
    if y_null is not None:
        null_a = _as_samples("y_null", y_null)
        _same_dim(null_a, ya, "y_null, y")
        null_b, method = ya, "y_null"
    else:
        if ya.shape[0] < 2:
            raise ValueError("y: needs at least 2 points to split for the null level")
        half = ya.shape[0] // 2
        null_a, null_b, method = ya[:half], ya[half : 2 * half], "split_y"
    for name, (p, q) in (("x, y", (xa, ya)), ("null samples", (null_a, null_b))):
        if not (p.shape[1] == 1 and p.shape[0] == q.shape[0]):
            _check_pairs(p.shape[0], q.shape[0], max_pairs, f"partial OT ({name})")
    front = np.sqrt(_frontier_squared(xa, ya, eps_arr, max_pairs, num_iter_max))
    null = np.sqrt(_frontier_squared(null_a, null_b, eps_arr, max_pairs, num_iter_max))
    return ClosenessFrontier(eps=eps_arr, w2=front, null=null, null_method=method)


# --------------------------------------------------------------------------- TV lower bound


@dataclass(frozen=True)
class HalfspaceTVBound:
    """Result of ``tv_halfspace_lower_bound``.

    Attributes
    ----------
    statistic : float
        Max over directions of the KS distance between ⟨v, x⟩ and the projected mixture.
    direction : numpy.ndarray
        The maximising unit vector, shape (d,).
    lower_bound : float
        max(0, statistic − margin), a lower bound on TV(P, mixture) holding with probability
        ≥ 1 − alpha when x is i.i.d. from P.
    margin : float
        The DKW–Massart sampling margin sqrt(log(2k/alpha)/(2n)) over the k directions (also
        the level a sample from the mixture itself exceeds with probability ≤ alpha).
    alpha : float
        The error probability of ``lower_bound``.
    directions : numpy.ndarray
        Every direction tried, shape (k, d).
    statistics : numpy.ndarray
        The KS distance of each direction, shape (k,).
    """

    statistic: float
    direction: np.ndarray
    lower_bound: float
    margin: float
    alpha: float
    directions: np.ndarray
    statistics: np.ndarray


def _ks_exact(values: np.ndarray, cdf_values: np.ndarray) -> float:
    """sup_t |F_n(t) − F(t)| for sorted values, both sides of every jump (ties handled)."""
    n = values.size
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - cdf_values), np.max(cdf_values - (i - 1) / n), 0.0))


def tv_halfspace_lower_bound(
    x: ArrayLike, mixture: GaussianMixture, n_directions: int = 64, seed: int = 0, *,
    alpha: float = 0.05
) -> HalfspaceTVBound:
    """max_v sup_t |P̂(⟨v, x⟩ ≤ t) − Q(⟨v, x⟩ ≤ t)|: half-space discrepancy, a TV lower bound.

    For every law P, TV(P, Q) ≥ sup over half-spaces H of |P(H) − Q(H)|, in any dimension; the
    statistic evaluates this with P̂ = the empirical law of x (n, d) and Q = ``mixture`` exactly
    (``mixture.project(v).cdf``), over the d coordinate axes plus ``n_directions`` random unit
    vectors from ``np.random.default_rng(seed)`` (no random ones when d = 1: KS is sign
    invariant). The sup over t is exact (both sides of each jump of the empirical CDF).

    What is certified: the statistic is a lower bound on TV(P, Q) for the law P that generated
    x only up to sampling error; ``lower_bound`` = statistic − DKW margin is a lower bound on
    TV(P, Q) with probability ≥ 1 − alpha (x i.i.d. from P, directions independent of x).
    (Against the empirical law itself TV(P̂, Q) = 1 for continuous Q, which is uninformative.)

    Power (exact product laws, ``benchmarks/estimator_power.py``; n = 600 / 2000, 64 random
    directions): the statistic's noise floor is ≈ 0.05 / 0.035 (it reads 0.04–0.07 where the
    exact TV is 0.003–0.075), and ``lower_bound`` is 0 there: it stops resolving TV below the
    margin, 0.081 (n = 600) / 0.044 (n = 2000). For a TV of 0.53 along one direction v it gives
    0.44–0.49 in d = 2 and 8, 0.39–0.46 in d = 32 (random directions rarely meet v).

    Parameters
    ----------
    x : array_like
        Samples from P, shape (n, d) ((n,) means d = 1).
    mixture : GaussianMixture
        The law Q (anything with ``.dim`` and ``.project(v).cdf``), of dimension d.
    n_directions : int
        Number of random unit directions added to the d axes (d > 1), >= 1.
    seed : int
        Seed of the random directions, >= 0.
    alpha : float
        Error probability of ``lower_bound``, in (0, 1).

    Returns
    -------
    HalfspaceTVBound
        The statistic, its direction, the margin and the lower bound.

    Raises
    ------
    TypeError
        ``mixture`` lacks ``.dim``/``.project``, or invalid samples or counts.
    ValueError
        Dimensions differ, or invalid ``x``, ``n_directions``, ``seed`` or ``alpha``.

    Examples
    --------
    >>> import numpy as np
    >>> from diffbounds.simulators import GaussianMixture, metrics
    >>> q = GaussianMixture([1.0], [[0.0]], 1.0)
    >>> res = metrics.tv_halfspace_lower_bound(np.full(100, 3.0), q)  # far from N(0, 1)
    >>> round(res.statistic, 4), res.lower_bound > 0.8
    (0.9987, True)
    """
    xa = _as_samples("x", x)
    n_directions = _check_positive_int("n_directions", n_directions)
    seed = _check_seed(seed)
    alpha = _check_probability("alpha", alpha)
    dim = getattr(mixture, "dim", None)
    if not hasattr(mixture, "project") or dim is None:
        raise TypeError("mixture: must have .dim and .project(v) (a GaussianMixture)")
    if int(dim) != xa.shape[1]:
        raise ValueError(f"x, mixture: dimensions differ ({xa.shape[1]} vs {int(dim)})")
    n, d = xa.shape
    directions = np.eye(d)
    if d > 1:
        rand = np.random.default_rng(seed).standard_normal((n_directions, d))
        rand /= np.linalg.norm(rand, axis=1, keepdims=True)
        directions = np.vstack([directions, rand])
    stats_ = np.empty(directions.shape[0])
    for k, v in enumerate(directions):
        z = np.sort(xa @ v)
        cdf = np.asarray(mixture.project(v).cdf(z), dtype=np.float64)
        stats_[k] = _ks_exact(z, cdf)
    best = int(np.argmax(stats_))
    margin = math.sqrt(math.log(2.0 * directions.shape[0] / alpha) / (2.0 * n))
    return HalfspaceTVBound(
        statistic=float(stats_[best]),
        direction=directions[best].copy(),
        lower_bound=max(0.0, float(stats_[best]) - margin),
        margin=margin,
        alpha=alpha,
        directions=directions,
        statistics=stats_,
    )
