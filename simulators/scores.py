"""Score models: what ``simulators.sample`` accepts as its ``score`` argument.

A score model answers ``model(x, t)`` with the score at diffusion time ``t`` for points ``x`` of
shape (n, d). Two kinds exist:

* **kernel scores** (subclasses of :class:`KernelScore`) also hand the backends a *kernel program*
  (``kernel_program(times, dtype) -> (family, params)``): the name of a score family compiled from
  the shared step math, plus per-step parameter arrays (leading axis = step index). They are
  evaluated inside the compiled kernels on every backend, with no Python call per step.
* **generic scores**: any Python callable ``f(x, t) -> (n, d)``; the sampler calls it once per step
  on the whole batch (vectorized), then a kernel applies the update.

Every model that knows the truth also exposes ``error(x, t) = model(x, t) − s_t(x)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from diffbounds.simulators.mixture import GaussianMixture

#: a kernel program's family: a compiled score family's name, or a composite key of names
Family = str | tuple[str, ...]


class KernelScore(ABC):
    """A score model evaluated inside the compiled kernels.

    Subclasses set ``dim`` and implement ``kernel_program`` and ``__call__``; those that know
    the truth also implement ``error``.

    Examples
    --------
    >>> from diffbounds.simulators import GaussianMixture, KernelScore, MixtureScore
    >>> isinstance(MixtureScore(GaussianMixture([1.0], [[0.0]], 1.0)), KernelScore)
    True
    """

    dim: int

    @abstractmethod
    def kernel_program(self, times: np.ndarray, dtype: DTypeLike) -> tuple[Family, tuple]:
        """(family, params) for steps k = 0..len(times)−2, each evaluated at ``times[k]``.

        Parameters
        ----------
        times : numpy.ndarray
            The schedule, float64, shape (N + 1,).
        dtype : dtype_like
            float64 or float32: the dtype of the parameter arrays.

        Returns
        -------
        (str or tuple of str, tuple)
            The score family (a name, or a composite key such as ``("perturbed", base,
            region, direction)``) and its per-step parameter arrays (leading axis N).
        """

    @abstractmethod
    def __call__(self, x: ArrayLike, t: float) -> Any:
        """Score at time ``t`` for points ``x`` (n, d), evaluated in NumPy float64."""

    def error(self, x: ArrayLike, t: float) -> Any:
        """``self(x, t) − s_t(x)``: the score error against the exact score.

        Parameters
        ----------
        x : array_like
            Points, shape (n, d).
        t : float
            Diffusion time.

        Returns
        -------
        numpy.ndarray
            Shape (n, d).

        Raises
        ------
        NotImplementedError
            In this base class: a model that does not know the true score.
        """
        raise NotImplementedError(f"{type(self).__name__} does not know the true score")


class MixtureScore(KernelScore):
    """The exact score s_t = ∇ log q_t of a Gaussian mixture's OU marginal q_t.

    Parameters
    ----------
    mixture : GaussianMixture
        The data law q_0.

    Raises
    ------
    TypeError
        ``mixture`` is not a GaussianMixture.

    Examples
    --------
    >>> from diffbounds.simulators import GaussianMixture, MixtureScore
    >>> model = MixtureScore(GaussianMixture([1.0], [[0.0]], 1.0))
    >>> model([[2.0]], 0.5)  # q_t = N(0, 1) for every t: score −x
    array([[-2.]])
    """

    def __init__(self, mixture: GaussianMixture) -> None:
        if not isinstance(mixture, GaussianMixture):
            raise TypeError(f"mixture: expected a GaussianMixture, got {type(mixture).__name__}")
        self.mixture = mixture
        self.dim = mixture.dim

    def __call__(self, x: ArrayLike, t: float) -> np.ndarray | np.float64:
        return self.mixture.at(t).score(x)

    def error(self, x: ArrayLike, t: float) -> np.ndarray | np.float64:
        """Zero: the model is the exact score.

        Parameters
        ----------
        x : array_like
            Points, shape (n, d) or (d,).
        t : float
            Diffusion time (unused).

        Returns
        -------
        numpy.ndarray
            Zeros of shape (n, d) (or (d,) for one point).
        """
        x = np.asarray(x, dtype=np.float64)
        return np.zeros(x.shape[:-1] + (self.dim,)) if x.ndim > 1 else np.zeros(self.dim)

    def kernel_program(self, times: np.ndarray, dtype: DTypeLike) -> tuple[str, tuple]:
        """The exact mixture score's program: :func:`mixture_program` of the mixture.

        Parameters
        ----------
        times : numpy.ndarray
            The schedule, shape (N + 1,).
        dtype : dtype_like
            float64 or float32.

        Returns
        -------
        (str, tuple)
            The family and its per-step parameters.
        """
        return mixture_program(self.mixture, times, dtype)


def mixture_program(mixture: GaussianMixture, times: ArrayLike,
                    dtype: DTypeLike) -> tuple[str, tuple]:
    """Per-step parameters of the exact mixture score at ``times[k]``, k = 0..N−1.

    q_t has means e^{−t} μ_k and covariance eigenvalues e^{−2t} λ_k + σ_t² (eigenvectors fixed),
    so only the eigenvalues, means and log-normalisers change with t. Components of zero weight
    are dropped.

    Parameters
    ----------
    mixture : GaussianMixture
        The data law q_0.
    times : array_like
        The schedule, shape (N + 1,); step k uses q at ``times[k]``.
    dtype : dtype_like
        float64 or float32: the dtype of the parameter arrays.

    Returns
    -------
    (str, tuple)
        "mixture_isotropic", "mixture_diagonal" or "mixture_full" and its C-contiguous
        parameter arrays (log-normalisers (N, K), means (N, K, d), precisions, and for "full"
        the eigenvectors (K, d, d)).

    Examples
    --------
    >>> from diffbounds.simulators import GaussianMixture
    >>> q = GaussianMixture([1.0], [[0.0]], 1.0)
    >>> family, params = mixture_program(q, [1.0, 0.5], "float64")
    >>> family, [p.shape for p in params]
    ('mixture_isotropic', [(1, 1), (1, 1, 1), (1, 1)])
    """
    t = np.asarray(times, dtype=np.float64)[:-1]
    keep = mixture.weights > 0
    logw = mixture.log_weights[keep]
    means = mixture.means[keep]
    lam = mixture.eigvals[keep]
    e = np.exp(-t)[:, None, None]
    s2 = -np.expm1(-2.0 * t)[:, None, None]
    means_t = e * means[None]
    lam_t = e**2 * lam[None] + s2  # (N, K, d)
    eigvecs = None
    if mixture.cov_type == "full":
        assert mixture.eigvecs is not None  # stored for every "full" mixture
        eigvecs = mixture.eigvecs[keep]
    return _family_params(mixture.cov_type, np.broadcast_to(logw, lam_t.shape[:2]), means_t,
                          lam_t, eigvecs, dtype)


def _family_params(cov_type, logw, means, lam, eigvecs, dtype) -> tuple[str, tuple]:
    """(family, params) of the mixture families from per-step log-weights (N, K), means
    (N, K, d) and covariance eigenvalues (N, K, d); ``eigvecs`` (K, d, d) for "full"."""
    logc = logw - 0.5 * np.log(2.0 * np.pi * lam).sum(axis=-1)
    params: tuple[np.ndarray, ...]
    if cov_type == "isotropic":
        family, params = "mixture_isotropic", (logc, means, 1.0 / lam[..., 0])
    elif cov_type == "diagonal":
        family, params = "mixture_diagonal", (logc, means, 1.0 / lam)
    else:
        family, params = "mixture_full", (logc, means, 1.0 / lam, eigvecs)
    return family, tuple(np.ascontiguousarray(p, dtype=np.dtype(dtype)) for p in params)


def stepwise_mixture_program(mixtures: Sequence[GaussianMixture], model_times: ArrayLike,
                             times: ArrayLike, dtype: DTypeLike) -> tuple[str, tuple]:
    """Kernel parameters for one mixture per step: step k evaluates ``mixtures[j]`` as it is
    (its own score, not an OU marginal of it), where ``model_times[j]`` equals ``times[k]``.

    All mixtures must share the number of components and the covariance structure. Raises a
    ValueError naming ``times`` when a step's time is not one of ``model_times`` (1e-12 rel.).

    Parameters
    ----------
    mixtures : sequence of GaussianMixture
        One mixture per model time, same K and covariance type, positive weights, not "full".
    model_times : array_like
        The time of each mixture, shape (len(mixtures),).
    times : array_like
        The schedule, shape (N + 1,).
    dtype : dtype_like
        float64 or float32.

    Returns
    -------
    (str, tuple)
        The family and its per-step parameter arrays, as :func:`mixture_program`.

    Raises
    ------
    ValueError
        A step time not among ``model_times``, mixtures of differing structure, a zero
        weight, or full covariances.
    """
    t = np.asarray(times, dtype=np.float64)[:-1]
    model_times = np.asarray(model_times, dtype=np.float64)
    idx = []
    for tk in t:
        j = int(np.argmin(np.abs(model_times - tk)))
        if abs(model_times[j] - tk) > 1e-12 * max(abs(tk), 1e-300):
            raise ValueError(f"times: step time {tk!r} is not one of the model's times; sample "
                             "on the schedule the model was trained on")
        idx.append(j)
    first = mixtures[0]
    if any(q.n_components != first.n_components or q.cov_type != first.cov_type
           for q in mixtures):
        raise ValueError("mixtures: every step's mixture must share K and the covariance type")
    if any(np.any(q.weights <= 0) for q in mixtures):
        raise ValueError("mixtures: step mixtures need positive weights")
    # Each mixture is used as is (its parameters at OU time 0).
    logw = np.stack([mixtures[j].log_weights for j in idx])
    means = np.stack([mixtures[j].means for j in idx])
    lam = np.stack([mixtures[j].eigvals for j in idx])
    if first.cov_type == "full":
        raise ValueError("mixtures: full-covariance step mixtures have per-step eigenvectors; "
                         "use the generic path")
    return _family_params(first.cov_type, logw, means, lam, None, dtype)


class CallableScore:
    """Wraps a Python callable ``f(x, t) -> (n, d)`` for the generic (one call per step) path.

    Parameters
    ----------
    fn : callable
        ``fn(x, t)`` with x of shape (n, d) returning the scores, shape (n, d).
    dim : int or None
        The dimension d; None takes ``fn.dim`` when it exists, else leaves it unknown.

    Raises
    ------
    TypeError
        ``fn`` is not callable (named ``score``, as ``sample`` receives it).

    Examples
    --------
    >>> import numpy as np
    >>> model = CallableScore(lambda x, t: -np.asarray(x), dim=1)
    >>> model([[3.0]], 1.0), model.dim
    (array([[-3.]]), 1)
    """

    def __init__(self, fn: Callable[..., Any], dim: int | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"score: expected a GaussianMixture, a score model or a callable, "
                            f"got {type(fn).__name__}")
        self.fn = fn
        self.dim = dim if dim is not None else getattr(fn, "dim", None)

    def __call__(self, x: ArrayLike, t: float) -> Any:
        return self.fn(x, t)


def as_score_model(score: GaussianMixture | KernelScore | CallableScore | Callable[..., Any]
                   ) -> KernelScore | CallableScore:
    """Normalise ``sample``'s ``score`` argument to a KernelScore or a CallableScore.

    Parameters
    ----------
    score : GaussianMixture, KernelScore, CallableScore or callable
        A mixture (its exact score), a score model, or ``f(x, t) -> (n, d)``.

    Returns
    -------
    KernelScore or CallableScore
        ``MixtureScore(score)`` for a mixture, a score model as is, else a CallableScore.

    Raises
    ------
    TypeError
        ``score`` is none of these.

    Examples
    --------
    >>> from diffbounds.simulators import GaussianMixture
    >>> type(as_score_model(GaussianMixture([1.0], [[0.0]], 1.0))).__name__
    'MixtureScore'
    """
    if isinstance(score, GaussianMixture):
        return MixtureScore(score)
    if isinstance(score, (KernelScore, CallableScore)):
        return score
    return CallableScore(score)
