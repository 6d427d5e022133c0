"""Exact ERM over a finite hypothesis class by enumeration (paper Lemma A.2)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from diffbounds.simulators._training._data import (
    check_data,
    check_seed,
    check_steps,
    check_times,
    check_truth,
    squared_error,
    step_data,
)
from diffbounds.simulators._training._result import TrainedScore
from diffbounds.simulators.mixture import GaussianMixture
from diffbounds.simulators.scores import MixtureScore

TIE_BREAKS = ("first", "random")
# SeedSequence tag separating the tie-break stream from any other use of the same seed.
_TIE_TAG = 0x7469652D627265616B  # "tie-break"


class FiniteERM(TrainedScore):
    """Result of :func:`fit_finite`: at each t_k the candidate of least empirical objective.

    ``models[k] = candidates[index[k]]``.

    Parameters
    ----------
    candidates : list
        The class as given.
    index : numpy.ndarray
        The chosen candidate per time, shape (N,).
    losses : numpy.ndarray
        The objective of every candidate at every time, shape (N, |H|).
    ties : numpy.ndarray
        How many candidates tied for the minimum, shape (N,).
    **kw
        The fields of :class:`TrainedScore`.
    """

    kind = "finite"
    #: the chosen candidate of each time as a score function s(x, t) (set by fit_finite)
    _wrapped: list[Callable[[np.ndarray, float], np.ndarray]]

    def __init__(self, *, candidates: list, index: np.ndarray, losses: np.ndarray,
                 ties: np.ndarray, **kw: Any) -> None:
        super().__init__(**kw)
        self.candidates = candidates
        self.index = index
        self.losses = losses
        self.ties = ties
        for a in (index, losses, ties):
            a.flags.writeable = False

    def _evaluate(self, k, pts):
        return self._wrapped[k](pts, float(self.times[k]))


def _check_candidates(candidates, d: int) -> tuple[list, list]:
    if isinstance(candidates, (GaussianMixture, str, bytes)) or callable(candidates):
        raise TypeError("candidates: expected a sequence of score functions s(x, t) or "
                        f"GaussianMixtures, got {type(candidates).__name__}")
    try:
        cands = list(candidates)
    except TypeError:
        raise TypeError("candidates: expected a sequence of score functions s(x, t) or "
                        f"GaussianMixtures, got {type(candidates).__name__}") from None
    if not cands:
        raise ValueError("candidates: the hypothesis class is empty (need at least one)")
    wrapped = []
    for i, c in enumerate(cands):
        if isinstance(c, GaussianMixture):
            if c.dim != d:
                raise ValueError(f"candidates[{i}]: mixture dimension {c.dim} does not match "
                                 f"x0's d = {d}")
            wrapped.append(MixtureScore(c))
        elif callable(c):
            cdim = getattr(c, "dim", None)
            if isinstance(cdim, int) and cdim != d:
                raise ValueError(f"candidates[{i}]: dimension {cdim} does not match x0's d = {d}")
            wrapped.append(c)
        else:
            raise TypeError(f"candidates[{i}]: expected a score function s(x, t) or a "
                            f"GaussianMixture, got {type(c).__name__}")
    return cands, wrapped


def fit_finite(candidates: Sequence[Any], x0: ArrayLike, times: ArrayLike, seed: int, *,
               truth: GaussianMixture | None = None, tie_break: str = "first",
               tie_seed: int | None = None, tie_rtol: float = 0.0,
               steps: ArrayLike | None = None) -> FiniteERM:
    """Exact ERM over a finite class H by enumeration (paper Lemma A.2, objective eq. (4)).

    ŝ_{t_k} = argmin_{s ∈ H} (1/m) Σ_i ‖s(y_i, t_k) + z_i/σ_{t_k}²‖², with the data of
    :func:`denoising_data` (``x0`` (m, d), ``times``, ``seed``, ``steps``).

    Parameters
    ----------
    candidates : sequence
        Score functions ``s(x, t) -> (n, d)`` or ``GaussianMixture``s (a mixture stands for
        the exact score of its OU marginal q_t); at least one.
    x0 : array_like
        The m data points, shape (m, d).
    times : array_like
        The N training times, > 0, distinct.
    seed : int
        Noise seed (as :func:`denoising_data`).
    truth : GaussianMixture or None
        Law of x0, enabling ``error(x, t)``.
    tie_break : {"first", "random"}
        "first" keeps the lowest index among tied candidates; "random" picks uniformly
        among them with ``np.random.default_rng([tie_seed, steps[k], tag])`` (``tie_seed``
        defaults to ``seed``), so the choice at t_k depends only on (tie_seed, steps[k]).
    tie_seed : int or None
        See ``tie_break``.
    tie_rtol : float
        Candidates whose loss is ≤ min·(1 + tie_rtol) tie (0: exact float equality, which is
        what identical predictions produce).
    steps : array_like of int or None
        Counter step index of each time; None for 0..N−1.

    Returns
    -------
    FiniteERM

    Raises
    ------
    TypeError, ValueError
        Naming the argument: an empty or non-sequence class, a candidate returning the wrong
        shape or non-finite values, bad data, times, seeds or tie options.

    Examples
    --------
    >>> from diffbounds.simulators import GaussianMixture
    >>> from diffbounds.simulators.training import fit_finite
    >>> truth = GaussianMixture([1.0], [[2.0]], 1.0)
    >>> cands = [GaussianMixture([1.0], [[mu]], 1.0) for mu in (-2.0, 0.0, 2.0)]
    >>> fit = fit_finite(cands, truth.sample(500, seed=1), [1.0, 0.1], seed=2)
    >>> fit.index.tolist()  # the true mean wins at both times
    [2, 2]
    """
    x0 = check_data(x0)
    m, d = x0.shape
    cands, wrapped = _check_candidates(candidates, d)
    times = check_times(times)
    steps = check_steps(steps, times.size)
    seed = check_seed(seed)
    truth = check_truth(truth, d)
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"tie_break: must be one of {TIE_BREAKS}, got {tie_break!r}")
    tie_seed = seed if tie_seed is None else check_seed(tie_seed)
    if isinstance(tie_rtol, bool) or not isinstance(tie_rtol, (int, float, np.floating)):
        raise TypeError(f"tie_rtol: expected a real number, got {type(tie_rtol).__name__}")
    if not (0.0 <= float(tie_rtol) < np.inf):
        raise ValueError(f"tie_rtol: must be finite and >= 0, got {tie_rtol}")

    N, H = times.size, len(cands)
    losses = np.empty((N, H))
    for k in range(N):
        t = float(times[k])
        y, target = step_data(x0, t, int(steps[k]), seed)
        for j, s in enumerate(wrapped):
            pred = np.asarray(s(y, t), dtype=np.float64)
            if pred.shape != (m, d):
                raise ValueError(f"candidates[{j}]: returned shape {pred.shape} at t = {t!r}, "
                                 f"expected ({m}, {d})")
            losses[k, j] = squared_error(pred, target, f"candidates[{j}]")
    index, ties = _argmin_with_ties(losses, float(tie_rtol), tie_break, tie_seed, steps)
    result = FiniteERM(candidates=cands, index=index, losses=losses, ties=ties, times=times,
                       steps=steps, models=[cands[j] for j in index],
                       objective=losses[np.arange(N), index], dim=d, m=m, seed=seed,
                       truth=truth)
    result._wrapped = [wrapped[j] for j in index]
    return result


def _argmin_with_ties(losses, tie_rtol, tie_break, tie_seed, steps):
    N = losses.shape[0]
    best = losses.min(axis=1, keepdims=True)
    tied = losses <= best * (1.0 + tie_rtol) if tie_rtol else losses == best
    ties = tied.sum(axis=1)
    index = np.argmax(tied, axis=1)  # first True
    if tie_break == "random":
        for k in range(N):
            if ties[k] > 1:
                gen = np.random.default_rng([tie_seed, int(steps[k]), _TIE_TAG])
                index[k] = np.flatnonzero(tied[k])[gen.integers(ties[k])]
    return index.astype(np.int64), ties.astype(np.int64)
