"""The common result type: a trained score is a score model ``model(x, t) -> (n, d)``."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from diffbounds.simulators._training._data import TIME_RTOL
from diffbounds.simulators.mixture import GaussianMixture


class TrainedScore:
    """One trained model per training time t_k; a generic score model for ``simulators.sample``.

    ``model(x, t)`` evaluates the model trained at ``t`` (``t`` must equal a training time
    within 1e-12 relative) on points ``x`` of shape (n, d) or (d,). Attributes: ``times`` (N,),
    ``steps`` (N,) the counter step indices of the training noise, ``models`` (one per time),
    ``objective`` (N,) the empirical denoising objective of each trained model on its own
    training data, ``dim``, ``m`` (data points), ``seed``, ``truth`` (the law of x0 or None).
    Built with ``truth=``, ``error(x, t)`` is ``model(x, t) − s_t(x)`` (exact score of the OU
    marginal of ``truth``).

    Built by the fit functions (:func:`fit_finite`, :func:`fit_mixture`, :func:`fit_relu`).

    Parameters
    ----------
    times : numpy.ndarray
        Training times, shape (N,) (made read-only).
    steps : numpy.ndarray
        Counter step indices of the training noise, shape (N,) (made read-only).
    models : list
        One trained model per time.
    objective : numpy.ndarray
        Empirical objective of each model, shape (N,) (made read-only).
    dim : int
        Dimension d.
    m : int
        Number of data points.
    seed : int
        The training noise seed.
    truth : GaussianMixture or None
        The law of x0, enabling :meth:`error`.
    """

    kind = "trained"

    def __init__(self, *, times: np.ndarray, steps: np.ndarray, models: list,
                 objective: np.ndarray, dim: int, m: int, seed: int,
                 truth: GaussianMixture | None) -> None:
        self.times = times
        self.steps = steps
        self.models = models
        self.objective = objective
        self.dim = int(dim)
        self.m = int(m)
        self.seed = seed
        self.truth: GaussianMixture | None = truth
        for a in (self.times, self.steps, self.objective):
            a.flags.writeable = False

    # -- time lookup ------------------------------------------------------------------------

    def step_index(self, t: float) -> int:
        """Position k of the training time equal to ``t`` (within 1e-12 relative).

        Parameters
        ----------
        t : float
            A training time.

        Returns
        -------
        int
            k with ``times[k]`` equal to ``t``.

        Raises
        ------
        TypeError
            ``t`` is not a real number.
        ValueError
            ``t`` is not a training time.
        """
        if isinstance(t, np.ndarray) and t.ndim == 0:
            t = t.item()
        if isinstance(t, (bool, np.bool_)) or not isinstance(t, (numbers.Real, np.floating)):
            raise TypeError(f"t: expected a real number, got {type(t).__name__}")
        t = float(t)
        if math.isfinite(t):
            gap = np.abs(self.times - t)
            k = int(np.argmin(gap))
            if gap[k] <= TIME_RTOL * max(abs(t), self.times[k]):
                return k
        lo, hi = float(self.times.min()), float(self.times.max())
        raise ValueError(
            f"t: {t!r} is not a training time of this model (trained at {self.times.size} "
            f"times in [{lo:.6g}, {hi:.6g}]; evaluate at those times, e.g. the schedule's "
            "times[:-1])")

    # -- evaluation -------------------------------------------------------------------------

    def _points(self, x) -> tuple[np.ndarray, tuple[int, ...]]:
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim == 0 or arr.shape[-1] != self.dim:
            raise ValueError(f"x: last dimension must be d = {self.dim}; got shape {arr.shape}")
        return arr.reshape(-1, self.dim), arr.shape

    def _evaluate(self, k: int, pts: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, x: ArrayLike, t: float) -> np.ndarray:
        """Score of the model trained at time ``t`` for points ``x`` (n, d) → (n, d)."""
        k = self.step_index(t)
        pts, shape = self._points(x)
        out = np.asarray(self._evaluate(k, pts), dtype=np.float64)
        return out.reshape(shape)

    def error(self, x: ArrayLike, t: float) -> Any:
        """``self(x, t) − s_t(x)`` with s_t the exact score of ``truth``'s OU marginal q_t.

        Parameters
        ----------
        x : array_like
            Points, shape (n, d) or (d,).
        t : float
            A training time.

        Returns
        -------
        numpy.ndarray
            The error, the shape of ``x``.

        Raises
        ------
        NotImplementedError
            Trained without ``truth=``.
        TypeError, ValueError
            As :meth:`step_index`, or ``x`` of the wrong last dimension.
        """
        if self.truth is None:
            raise NotImplementedError(
                f"{type(self).__name__} was trained without truth=; pass truth=<GaussianMixture "
                "of x0's law> to the fit function to get error()")
        model = self(x, t)
        exact = self.truth.at(float(self.times[self.step_index(t)])).score(
            np.asarray(x, dtype=np.float64))
        return model - exact

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(times={self.times.size}, dim={self.dim}, m={self.m}, "
                f"seed={self.seed})")
