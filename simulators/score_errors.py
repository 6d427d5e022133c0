"""Score models with errors of exactly known size: the paper's quantile error D^δ made concrete.

``perturbed_score(mixture, eps=, delta=, bad_magnitude=)`` is the exact score of the mixture's
OU marginal q_t plus an error e_t(x) = ν_t(x) u(x) with ‖u‖ = 1 and

    ν_t(x) = bad_magnitude / σ_t  on a region A_t with q_t(A_t) = δ,   eps / σ_t  elsewhere,

so D^{δ′}_{q_t}(ŝ_t, s_t) = eps/σ_t for every δ′ ≥ δ (Gupta et al. eq. (6)) while the L² error
(1 − δ)(eps/σ_t)² + δ (bad_magnitude/σ_t)² is as large as one likes. The error is evaluated inside
the compiled kernels on every backend (the math lives in ``simulators.kernels._math``).
"""

from __future__ import annotations

import numbers
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from diffbounds.simulators._validate import check_int, check_real, check_seed
from diffbounds.simulators.mixture import GaussianMixture
from diffbounds.simulators.scores import Family, KernelScore, MixtureScore, mixture_program

REGIONS = ("halfspace", "tail", "none")
DIRECTIONS = ("radial", "adversarial", "random")


def _positive_times(times):
    t = np.asarray(times, dtype=np.float64)[:-1]
    if np.any(t <= 0):
        raise ValueError("times: a score error scaled by 1/σ_t needs diffusion times > 0 at every "
                         "step (σ_0 = 0)")
    return t


def _check_t(t) -> float:
    """A diffusion time t > 0 (finite, not a bool): every method of a score model whose error is
    scaled by 1/σ_t checks t this way (σ_0 = 0)."""
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (numbers.Real, np.floating)):
        raise TypeError(f"t: expected a real diffusion time, got {type(t).__name__}")
    t = float(t)
    if not (np.isfinite(t) and t > 0):
        raise ValueError(f"t: the error is scaled by 1/σ_t, so t must be finite and > 0, "
                         f"got {t}")
    return t


def _sigma(t):
    return np.sqrt(-np.expm1(-2.0 * np.asarray(t, dtype=np.float64)))


def _unit(name, v, d):
    try:
        v = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a vector of length {d}") from None
    if v.shape != (d,):
        raise ValueError(f"{name}: expected shape ({d},), got {v.shape}")
    norm = np.linalg.norm(v)
    if not np.isfinite(norm) or norm == 0:
        raise ValueError(f"{name}: must be a finite non-zero vector")
    return v / norm


class PerturbedScore(KernelScore):
    """Exact mixture score plus an error of norm eps/σ_t off A_t and bad_magnitude/σ_t on A_t.

    ``error(x, t)`` is the error against the exact score (computed independently by
    ``GaussianMixture.at(t).score``), ``in_region(x, t)`` the indicator of A_t,
    ``region_threshold(t)`` its threshold (τ_t or ℓ_t). Every method's ``t`` must be a finite
    number > 0.

    Parameters
    ----------
    mixture : GaussianMixture
        The data law q_0.
    eps : float
        Error size off A_t: the error norm there is eps/σ_t.
    delta : float or None
        Mass q_t(A_t) in (0, 1); ignored (None allowed) for ``region="none"``.
    bad_magnitude : float
        Error size on A_t: norm bad_magnitude/σ_t.
    region : {"halfspace", "tail", "none"}
        The bad region A_t (see :func:`perturbed_score`).
    direction : array_like, {"radial", "adversarial", "random"} or None
        The error's unit direction field; None for "adversarial".
    seed : int
        Seed of the "random" field and of the tail calibration.
    halfspace_normal : array_like or None
        Normal v of the half-space, shape (d,); None for e₁.
    n_calibration : int
        Monte-Carlo samples calibrating the "tail" threshold (delta · n_calibration >= 50).

    Raises
    ------
    TypeError, ValueError
        Naming the argument: a non-mixture, non-finite sizes, ``delta`` outside (0, 1), an
        unknown region or direction, a zero vector, too few calibration samples, or a
        half-space mass that float64 cannot resolve.

    Examples
    --------
    >>> from diffbounds.simulators import GaussianMixture, PerturbedScore
    >>> model = PerturbedScore(GaussianMixture([1.0], [[0.0]], 1.0), eps=0.1, delta=0.05,
    ...                        bad_magnitude=2.0)
    >>> import math  # q_t(A_t) = δ exactly; D^δ = eps/σ_t, σ_t² = 1 − e^{−2t}
    >>> round(model.region_mass(0.5), 12), math.isclose(model.quantile_error(1.0),
    ...                                                 0.1 / math.sqrt(-math.expm1(-2.0)))
    (0.05, True)
    """

    def __init__(self, mixture: GaussianMixture, *, eps: float, delta: float | None,
                 bad_magnitude: float, region: str = "halfspace",
                 direction: ArrayLike | str | None = None, seed: int = 0,
                 halfspace_normal: ArrayLike | None = None,
                 n_calibration: int = 200_000) -> None:
        if not isinstance(mixture, GaussianMixture):
            raise TypeError(f"mixture: expected a GaussianMixture, got {type(mixture).__name__}")
        d = mixture.dim
        self.mixture, self.dim = mixture, d
        self.eps = check_real("eps", eps)
        self.bad_magnitude = check_real("bad_magnitude", bad_magnitude)
        if region not in REGIONS:
            raise ValueError(f"region: must be one of {REGIONS}, got {region!r}")
        self.region = region
        if region == "none":
            self.delta = 0.0
        else:
            if isinstance(delta, bool) or not isinstance(delta, numbers.Real):
                raise TypeError(f"delta: expected a real number, got {type(delta).__name__}")
            if not (0.0 < delta < 1.0):
                raise ValueError(f"delta: must be in (0, 1), got {delta}")
            self.delta = float(delta)
        self.seed = check_seed(seed)
        if direction is None:
            direction = "adversarial"
        if isinstance(direction, str):
            if direction not in DIRECTIONS:
                raise ValueError(f"direction: must be a unit vector or one of {DIRECTIONS}, "
                                 f"got {direction!r}")
            self.direction, self._u = direction, None
        else:
            self.direction, self._u = "fixed", _unit("direction", direction, d)
        self.halfspace_normal = (np.eye(d)[0] if halfspace_normal is None
                                 else _unit("halfspace_normal", halfspace_normal, d))
        if region == "tail":
            n_calibration = check_int("n_calibration", n_calibration, 1)
            if self.delta * n_calibration < 50:
                raise ValueError(
                    f"delta: mass {self.delta} cannot be calibrated with n_calibration="
                    f"{n_calibration} Monte-Carlo samples (need delta * n_calibration >= 50)")
        if region == "halfspace":
            # The threshold must be representable: the tail mass must not underflow.
            sf = self.mixture.project(self.halfspace_normal).sf
            tau = self._threshold_halfspace(0.0)
            if not np.isfinite(tau) or abs(float(sf(tau)) - self.delta) > 1e-6 * self.delta:
                raise ValueError(f"delta: a half-space of mass {self.delta} cannot be resolved "
                                 "in float64 for this mixture")
        self.n_calibration = int(n_calibration)

    # ------------------------------------------------------------------ regions
    def _threshold_halfspace(self, t):
        # The upper tail's threshold from the survival function (isf(δ)), never from
        # quantile(1 − δ): 1 − δ rounds away every digit of a tiny δ.
        return float(self.mixture.at(t).project(self.halfspace_normal).isf(self.delta))

    @lru_cache(maxsize=4096)  # noqa: B019 - the model is immutable; one entry per (self, t)
    def region_threshold(self, t: float) -> float:
        """τ_t (half-space: ⟨v, x⟩ > τ_t) or ℓ_t (tail: log q_t(x) < ℓ_t) with q_t(A_t) = δ.

        The half-space threshold is the exact (1 − δ)-quantile of the projected mixture; the tail
        threshold is the δ-quantile of log q_t(X), X ~ q_t, from ``n_calibration`` samples
        (approximate: its mass has binomial error ~√(δ/n_calibration)).

        Parameters
        ----------
        t : float
            Diffusion time, finite and > 0.

        Returns
        -------
        float
            τ_t or ℓ_t; +inf for ``region="none"``.

        Raises
        ------
        TypeError, ValueError
            Naming ``t`` unless t is a finite number > 0.
        """
        t = _check_t(t)
        if self.region == "halfspace":
            return self._threshold_halfspace(t)
        if self.region == "tail":
            q = self.mixture.at(t)
            y = q.sample(self.n_calibration, seed=self.seed)
            return float(np.quantile(q.log_prob(y), self.delta))
        return np.inf

    def region_mass(self, t: float) -> float:
        """q_t(A_t): exact for half-spaces (the projected mixture's tail at τ_t), δ otherwise.

        Parameters
        ----------
        t : float
            Diffusion time, finite and > 0.

        Returns
        -------
        float
            The mass (0.0 for ``region="none"``).

        Raises
        ------
        TypeError, ValueError
            Naming ``t`` unless t is a finite number > 0.
        """
        t = _check_t(t)
        if self.region == "halfspace":
            return float(self.mixture.at(t).project(self.halfspace_normal).sf(
                self.region_threshold(t)))
        return self.delta if self.region == "tail" else 0.0

    def in_region(self, x: ArrayLike, t: float) -> np.ndarray:
        """Indicator of A_t at points x (n, d).

        Parameters
        ----------
        x : array_like
            Points, shape (n, d) or (d,).
        t : float
            Diffusion time, finite and > 0.

        Returns
        -------
        numpy.ndarray
            bool, shape (n,).

        Raises
        ------
        TypeError, ValueError
            Naming ``t`` unless t is a finite number > 0.
        """
        t = _check_t(t)
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if self.region == "halfspace":
            return np.asarray(x @ self.halfspace_normal > self.region_threshold(t))
        if self.region == "tail":
            return np.asarray(self.mixture.at(t).log_prob(x) < self.region_threshold(t))
        return np.zeros(len(x), dtype=bool)

    # ------------------------------------------------------------------ kernel program
    def kernel_program(self, times: np.ndarray, dtype: DTypeLike) -> tuple[Family, tuple]:
        """The kernel program: the mixture's exact-score program extended by the error.

        Parameters
        ----------
        times : numpy.ndarray
            The schedule, shape (N + 1,), every step time > 0.
        dtype : dtype_like
            float64 or float32.

        Returns
        -------
        (tuple of str, tuple)
            Family ``("perturbed", base, region, direction)`` and the mixture's parameters
            followed by eps/σ_t, bad_magnitude/σ_t, the region's and the direction's
            parameters.

        Raises
        ------
        ValueError
            A step time that is not > 0.
        """
        t = _positive_times(times)
        base, P = mixture_program(self.mixture, times, dtype)
        sigma = _sigma(t)
        dt = np.dtype(dtype)
        eps_t = self.eps / sigma
        bad_t = self.bad_magnitude / sigma
        if self.region == "halfspace":
            thr = np.array([self.region_threshold(float(s)) for s in t])
            region_p = np.concatenate([np.tile(self.halfspace_normal, (len(t), 1)), thr[:, None]],
                                      axis=1)
        elif self.region == "tail":
            region_p = np.array([self.region_threshold(float(s)) for s in t])
        else:
            region_p = np.zeros(1)
        if self.direction == "fixed":
            dir_p = self._u
        elif self.direction == "radial":
            dir_p = np.exp(-t)[:, None] * self.mixture.mean()[None, :]
        elif self.direction == "random":
            dir_p = random_field_parameters(self.mixture, self.seed)
        else:
            dir_p = np.zeros(1)
        extra = [np.ascontiguousarray(a, dtype=dt) for a in (eps_t, bad_t, region_p)]
        extra.append(np.ascontiguousarray(dir_p, dtype=dt))
        return ("perturbed", base, self.region, self.direction), P + tuple(extra)

    # ------------------------------------------------------------------ evaluation
    def __call__(self, x: ArrayLike, t: float) -> np.ndarray:
        from diffbounds.simulators.kernels.numpy_backend import evaluate_family

        x = np.asarray(x, dtype=np.float64)
        single = x.ndim == 1
        x2 = np.atleast_2d(x)
        if x2.shape[-1] != self.dim:
            raise ValueError(f"x: expected last dimension {self.dim}, got {x2.shape[-1]}")
        t = _check_t(t)
        family, P = self.kernel_program(np.array([t, 0.5 * t]), "float64")
        out = evaluate_family(family, P, x2)
        return out[0] if single else out

    def error(self, x: ArrayLike, t: float) -> np.ndarray:
        """ŝ_t(x) − s_t(x), same shape as x; t as in every method (finite, > 0).

        Parameters
        ----------
        x : array_like
            Points, shape (n, d) or (d,).
        t : float
            Diffusion time, finite and > 0.

        Returns
        -------
        numpy.ndarray
            The error, the shape of ``x``; its norm is eps/σ_t off A_t, bad_magnitude/σ_t on it.

        Raises
        ------
        TypeError, ValueError
            Naming ``t`` or ``x``.
        """
        t = _check_t(t)
        x = np.asarray(x, dtype=np.float64)
        return self(x, t) - self.mixture.at(t).score(x)

    def l2_error(self, t: float) -> float:
        """E_{q_t}‖e_t‖² = (1 − δ)(eps/σ_t)² + δ (bad/σ_t)² for the exact mass δ of A_t.

        Parameters
        ----------
        t : float
            Diffusion time, finite and > 0.

        Returns
        -------
        float
            The mean squared error norm (not its root).

        Raises
        ------
        TypeError, ValueError
            Naming ``t`` unless t is a finite number > 0.
        """
        t = _check_t(t)
        s2 = _sigma(t) ** 2
        mass = self.region_mass(t)
        return float(((1 - mass) * self.eps**2 + mass * self.bad_magnitude**2) / s2)

    def quantile_error(self, t: float) -> float:
        """D^{δ′}_{q_t}(ŝ_t, s_t) = eps/σ_t for every δ′ ≥ δ (when bad_magnitude ≥ eps).

        Parameters
        ----------
        t : float
            Diffusion time, finite and > 0.

        Returns
        -------
        float
            eps/σ_t (paper eq. (6)).

        Raises
        ------
        TypeError, ValueError
            Naming ``t`` unless t is a finite number > 0.
        """
        t = _check_t(t)
        return float(self.eps / _sigma(t))


#: number of random Fourier features of the "random" direction field
RANDOM_FIELD_FEATURES = 16
#: correlation length of the "random" direction field, in units of the data's RMS scale
RANDOM_FIELD_LENGTH = 1.0


def random_field_parameters(mixture: GaussianMixture, seed: int) -> np.ndarray:
    """Parameters of the "random" direction field v(x) = Σ_m b_m cos(⟨ω_m, x⟩ + φ_m).

    M = ``RANDOM_FIELD_FEATURES`` features with b_m ~ N(0, I_d), ω_m ~ N(0, I_d / ℓ²) and
    φ_m ~ U[0, 2π), drawn from ``numpy.random.default_rng(seed)``; ℓ = ``RANDOM_FIELD_LENGTH``
    × max(1, √(E‖X₀‖²/d)). At every fixed x, v(x) ~ N(0, Σ_m cos²(·) I_d) over the seed, so the
    unit direction v/‖v‖ is exactly uniform on the sphere; points farther apart than ~ℓ get
    nearly independent directions. v is smooth (Lipschitz ~‖b‖/ℓ), so float rounding of x
    moves the direction only by rounding-sized amounts — unlike the former key of x quantised
    to 2⁻¹⁰ (float32), which float32 rounding flipped (issue 13 §3). ℓ is the data's own scale
    because a shorter one makes the chain chaotic where the error is large (ℓ = 0.1 × scale:
    71 of 1000 float64 paths differed by O(1) between NumPy and CPU, d = 8, 100 steps).

    Parameters
    ----------
    mixture : GaussianMixture
        The data distribution (its dimension d and second moment set the field's scale).
    seed : int
        Seed of the field (``PerturbedScore.seed``).

    Returns
    -------
    numpy.ndarray
        (M, 2d + 1) float64 rows (ω_m, b_m, φ_m): the kernel's parameter P[o+3].

    Examples
    --------
    >>> from diffbounds.simulators import GaussianMixture
    >>> random_field_parameters(GaussianMixture([1.0], [[0.0, 0.0]], 1.0), seed=0).shape
    (16, 5)
    """
    d = mixture.dim
    rng = np.random.default_rng([int(seed), 0x5EED])
    scale = max(1.0, float(np.sqrt(mixture.second_moment() / d)))
    ell = RANDOM_FIELD_LENGTH * scale
    omega = rng.standard_normal((RANDOM_FIELD_FEATURES, d)) / ell
    b = rng.standard_normal((RANDOM_FIELD_FEATURES, d))
    phi = rng.uniform(0.0, 2.0 * np.pi, (RANDOM_FIELD_FEATURES, 1))
    return np.concatenate([omega, b, phi], axis=1)


def perturbed_score(mixture: GaussianMixture, *, eps: float, delta: float | None,
                    bad_magnitude: float, region: str = "halfspace",
                    direction: ArrayLike | str | None = None, seed: int = 0,
                    halfspace_normal: ArrayLike | None = None,
                    n_calibration: int = 200_000) -> PerturbedScore:
    """Exact score of ``mixture``'s q_t plus an error with exactly known (1 − δ)-quantile.

    ``region``: "halfspace" (A_t = {⟨v, x⟩ > τ_t}, v = ``halfspace_normal``, default e₁, τ_t
    solved from the exact projected mixture so q_t(A_t) = δ) or "tail" (the lowest-density set of
    mass δ, calibrated by Monte Carlo — approximate). ``direction``: a fixed vector, "radial"
    (away from the mixture mean e^{−t} E x₀), "adversarial" (against the true score; default) or
    "random" (the unit direction of a smooth random field seeded by ``seed``, uniform on the
    sphere at every point, decorrelated over about the data's RMS scale:
    ``random_field_parameters``).

    Parameters
    ----------
    mixture, eps, delta, bad_magnitude, region, direction, seed, halfspace_normal, n_calibration
        As for :class:`PerturbedScore`.

    Returns
    -------
    PerturbedScore

    Raises
    ------
    TypeError, ValueError
        As for :class:`PerturbedScore`.

    Examples
    --------
    >>> from diffbounds.simulators import GaussianMixture, perturbed_score
    >>> model = perturbed_score(GaussianMixture([1.0], [[0.0]], 1.0), eps=0.1, delta=0.01,
    ...                        bad_magnitude=1.0)
    >>> import math  # the L² error grows with bad_magnitude; the quantile error does not
    >>> math.isclose(model.l2_error(1.0), (0.99 * 0.01 + 0.01 * 1.0) / -math.expm1(-2.0))
    True
    """
    return PerturbedScore(mixture, eps=eps, delta=delta, bad_magnitude=bad_magnitude,
                          region=region, direction=direction, seed=seed,
                          halfspace_normal=halfspace_normal, n_calibration=n_calibration)


def uniform_error(mixture: GaussianMixture, eps: float, *,
                  direction: ArrayLike | str | None = None, seed: int = 0) -> PerturbedScore:
    """Error of norm eps/σ_t everywhere (so its L² error equals its quantile error squared).

    Parameters
    ----------
    mixture : GaussianMixture
        The data law q_0.
    eps : float
        Error size: norm eps/σ_t.
    direction : array_like, {"radial", "adversarial", "random"} or None
        As for :class:`PerturbedScore`.
    seed : int
        Seed of the "random" direction field.

    Returns
    -------
    PerturbedScore
        With ``region="none"``.

    Raises
    ------
    TypeError, ValueError
        As for :class:`PerturbedScore`.

    Examples
    --------
    >>> import math
    >>> from diffbounds.simulators import GaussianMixture, uniform_error
    >>> model = uniform_error(GaussianMixture([1.0], [[0.0]], 1.0), 0.1)
    >>> math.isclose(model.l2_error(0.3), model.quantile_error(0.3) ** 2)
    True
    """
    return PerturbedScore(mixture, eps=eps, delta=None, bad_magnitude=eps, region="none",
                          direction=direction, seed=seed)


class WrongMixtureScore(MixtureScore):
    """The exact score of another mixture (e.g. p₂ when the data are p₁, Lemma 4.1).

    Parameters
    ----------
    model_mixture : GaussianMixture
        The mixture whose OU marginals' scores the model returns.
    truth : GaussianMixture or None
        The data law, of the same dimension; needed only for :meth:`error`.

    Raises
    ------
    TypeError, ValueError
        Naming ``mixture`` or ``truth``: not a GaussianMixture, or differing dimensions.
    """

    def __init__(self, model_mixture: GaussianMixture,
                 truth: GaussianMixture | None = None) -> None:
        super().__init__(model_mixture)
        if truth is not None:
            if not isinstance(truth, GaussianMixture):
                raise TypeError(f"truth: expected a GaussianMixture, got {type(truth).__name__}")
            if truth.dim != model_mixture.dim:
                raise ValueError(f"truth: dimension {truth.dim} differs from the model's "
                                 f"{model_mixture.dim}")
        self.truth = truth

    def error(self, x: ArrayLike, t: float) -> np.ndarray | np.float64:
        """The model's score minus ``truth``'s, at the OU marginals of time ``t``.

        Parameters
        ----------
        x : array_like
            Points, shape (n, d) or (d,).
        t : float
            Diffusion time, finite and >= 0.

        Returns
        -------
        numpy.ndarray or numpy.float64
            The shape of ``x`` (a scalar for a scalar ``x`` of a 1-D mixture).

        Raises
        ------
        ValueError
            Built without ``truth``.
        """
        if self.truth is None:
            raise ValueError("truth: this wrong-mixture score was built without the true mixture")
        return self.mixture.at(t).score(x) - self.truth.at(t).score(x)


def mixture_score(other_mixture: GaussianMixture,
                  truth: GaussianMixture | None = None) -> WrongMixtureScore:
    """The score of ``other_mixture``'s OU marginals, as a model of ``truth``'s scores.

    Parameters
    ----------
    other_mixture : GaussianMixture
        The model's mixture.
    truth : GaussianMixture or None
        The data law (for ``error``).

    Returns
    -------
    WrongMixtureScore

    Raises
    ------
    TypeError, ValueError
        Naming ``other_mixture`` or ``truth``.

    Examples
    --------
    >>> from diffbounds.simulators import GaussianMixture, mixture_score
    >>> p1 = GaussianMixture([1.0], [[0.0]], 1.0)
    >>> mixture_score(GaussianMixture([1.0], [[1.0]], 1.0), truth=p1).error([[0.0]], 0.0)
    array([[1.]])
    """
    if not isinstance(other_mixture, GaussianMixture):
        raise TypeError(f"other_mixture: expected a GaussianMixture, got "
                        f"{type(other_mixture).__name__}")
    return WrongMixtureScore(other_mixture, truth)
