"""Run a diffusers scheduler against an exact (or perturbed) mixture score.

Parametrisations. diffusers' variance-preserving schedulers (DDPM, DDIM, DPM-Solver) hold
x = √ᾱ x₀ + √(1 − ᾱ) ε, which is this project's OU marginal at time τ with e^{−τ} = √ᾱ, i.e.
τ = −½ log ᾱ and σ_τ = √(1 − ᾱ). Variance-exploding ones (``EulerDiscreteScheduler``) hold
x_VE = x / √ᾱ with σ_VE = √((1 − ᾱ)/ᾱ); their ``scale_model_input`` divides by √(σ_VE² + 1)
and returns the VP state, so ᾱ = 1/(1 + σ_VE²). The model is always called on the VP state
``scale_model_input(x, t)`` at OU time τ, and the score ŝ(x, τ) is converted to the
scheduler's ``prediction_type`` (DDIM paper eq. 12; Salimans & Ho 2022 for v):

    epsilon:       ε̂ = −σ_τ ŝ
    sample:        x̂₀ = (x + σ_τ² ŝ) / e^{−τ}
    v_prediction:  v̂ = e^{−τ} ε̂ − σ_τ x̂₀

Every scheduler here ends at ᾱ = 1 (``set_alpha_to_one`` / a final σ of 0), so the output is a
sample of the data law itself (target ``mixture.at(0)``).

Noise. The start is this project's counter-based N(0, I) (``sampler.initial_noise``) times
``init_noise_sigma``, so a deterministic scheduler's output is a pure function of (seed,
particle). Noise inside stochastic steps (DDPM, DDIM with η > 0) is drawn by diffusers from a
``torch.Generator`` seeded with ``seed``: reproducible, but, unlike the built-in samplers,
dependent on the batch size.

Samplers of ``simulators.sample``: :class:`DiffusersSampler` (any scheduler, generic path) and
:class:`DDPMGaussianStep` (DDPM in the Gaussian-step form, hence exact 1-D laws by
``law1d.output_law(..., sampler=...)``).

Exact laws of deterministic schedulers in 1-D (``pushforward_law``): the output is T(Z),
Z ~ N(0, 1), for the scheduler's map T (monotone for these ODE solvers on a 1-D mixture,
checked), so running the scheduler on quantile nodes z_i = Φ⁻¹(u_i) as particles gives T on a
fine grid and the law's density φ(z)/T′(z) at y = T(z), multistep methods included.

float32 inside a scheduler, and DPM-Solver++(2M)'s apparent TV floor. ``float64=True`` casts
the scheduler's *buffers* to float64; it cannot change arithmetic the scheduler hard-codes.
``DPMSolverMultistepScheduler.step`` (diffusers 0.42) casts the state to float32 at every step
(``sample = sample.to(torch.float32)``, "upcast to avoid precision issues" for half-precision
pipelines), so its map T carries rounding noise of a few 1e-7. ``pushforward_law``
differentiates T (centred differences), which turns noise of SD e into noise of SD ≈ e/(√2 Δz)
in T′: a TV artefact that *grows* with the node count, instead of shrinking like the method
error. This is the "TV floor" of 4e-4 … 8e-4 seen for K ≥ 80 (bimodal 1-D mixture, 32001
nodes). Measured (tests/simulators/test_adapters_diffusers.py; TV to the data law with 8001 /
16001 / 32001 nodes):

=====  ===============================  ==============================  ====================
K      as shipped                       float32 cast removed             last-step denoise
=====  ===============================  ==============================  ====================
80     7.06e-4 / 7.25e-4 / 7.60e-4      7.03e-4 / 7.14e-4 / 7.17e-4     2.07e-3
160    1.88e-4 / 2.27e-4 / 3.67e-4      1.62e-4 / 1.46e-4 / 1.49e-4     8.12e-4
320    2.08e-4 / 2.72e-4 / 4.77e-4      1.42e-4 / 1.04e-4 / 0.98e-4     3.78e-4
=====  ===============================  ==============================  ====================

So at K = 80 the TV is the sampler's (converged in the nodes, unchanged without the cast); from
K = 160 on the rounding artefact dominates (and the node-halving uncertainty estimate catches
only half of it, since it halves with the nodes). Not an adapter error: the adapter's
parametrisation is exact (the DDIM cross-check agrees to 4e-15), the timesteps are the
scheduler's own integers with their own ᾱ, and float64=False changes nothing here (the TVs
differ by < 6e-6). The sampler's true TV also decays more slowly than second order at large K:
with ``final_sigmas_type="zero"`` (default) the last step is a first-order step to σ = 0, i.e.
the Tweedie denoiser x̂₀(x) from the last integer timestep round(999/K), whose own TV (last
column, 32001 nodes: that step applied to an exact sample of q at that timestep) is first order
in 1/K; the preceding 2M steps partly cancel it. (``final_sigmas_type="sigma_min"`` makes the
last step a 2M step over a long λ interval instead: TV 7.8e-3 / 1.9e-3 / 4.5e-4 at K = 80 / 160
/ 320, larger.) Orders of DPM-Solver are therefore measured at K ≤ 40, and for a scheduler with
float32 arithmetic inside, check that the push-forward TV does not grow with the node count.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from diffbounds.simulators.adapters import require

__all__ = ["DDPMGaussianStep", "DiffusersSampler", "run_scheduler", "scheduler_times",
           "prediction_from_score",
           "PushforwardLaw",
           "pushforward_law", "ou_time"]

_PREDICTIONS = ("epsilon", "sample", "v_prediction")


def _torch():
    require("diffusers", "diffusers")
    return require("torch", "diffusers")


def ou_time(alpha_bar: ArrayLike) -> np.ndarray:
    """OU time τ = −½ log ᾱ (e^{−τ} = √ᾱ), float64.

    Parameters
    ----------
    alpha_bar : array_like
        ᾱ in (0, 1], any shape.

    Returns
    -------
    numpy.ndarray
        τ >= 0, the shape of ``alpha_bar``.

    Raises
    ------
    ValueError
        An ᾱ outside (0, 1] (or NaN).

    Examples
    --------
    >>> import numpy as np
    >>> ou_time([1.0, np.exp(-2.0)])
    array([-0.,  1.])
    """
    a = np.asarray(alpha_bar, dtype=np.float64)
    if np.any(~(a > 0)) or np.any(a > 1):
        raise ValueError("alpha_bar: must lie in (0, 1]")
    return -0.5 * np.log(a)


def prediction_from_score(s: np.ndarray, x: np.ndarray, tau: float,
                          prediction_type: str) -> np.ndarray:
    """The scheduler's model output from the score ``s`` at VP state ``x`` and OU time ``tau``
    (module docstring).

    Parameters
    ----------
    s : numpy.ndarray
        The score at ``x``, shape (n, d), float64.
    x : numpy.ndarray
        VP states, shape (n, d), float64.
    tau : float
        OU time, > 0.
    prediction_type : {"epsilon", "sample", "v_prediction"}
        The scheduler's ``config.prediction_type``.

    Returns
    -------
    numpy.ndarray
        ε̂ = −σ s, x̂₀ = (x + σ² s)/α, or v̂ = α ε̂ − σ x̂₀; shape (n, d).

    Raises
    ------
    ValueError
        An unknown ``prediction_type``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.5]])  # data N(0, 1): q_t = N(0, 1), s = −x, so ε̂ = σ x, x̂₀ = α x
    >>> tau = 1.0
    >>> eps = prediction_from_score(-x, x, tau, "epsilon")
    >>> bool(np.isclose(eps[0, 0], np.sqrt(-np.expm1(-2.0)) * 0.5))
    True
    """
    if prediction_type not in _PREDICTIONS:
        raise ValueError(f"prediction_type: must be one of {_PREDICTIONS}, "
                         f"got {prediction_type!r}")
    alpha = math.exp(-tau)
    sigma = math.sqrt(-math.expm1(-2.0 * tau))
    eps = -sigma * s
    if prediction_type == "epsilon":
        return eps
    x0 = (x + sigma * sigma * s) / alpha
    if prediction_type == "sample":
        return x0
    return alpha * eps - sigma * x0


def _alpha_bars(scheduler):
    """ᾱ at each of the scheduler's timesteps (after ``set_timesteps``), float64."""
    init = float(scheduler.init_noise_sigma)
    timesteps = scheduler.timesteps
    if init != 1.0 and hasattr(scheduler, "sigmas"):  # variance exploding (Euler-type)
        sig = np.asarray(scheduler.sigmas.double().cpu().numpy())[:len(timesteps)]
        return 1.0 / (1.0 + sig * sig)
    ac = np.asarray(scheduler.alphas_cumprod.double().cpu().numpy())
    return ac[np.asarray(timesteps.cpu().numpy()).astype(np.int64)]


def scheduler_times(scheduler: Any, num_inference_steps: int) -> np.ndarray:
    """OU times of the scheduler's score evaluations, then 0 (its output is at ᾱ = 1).

    Calls ``scheduler.set_timesteps(num_inference_steps)``.

    Parameters
    ----------
    scheduler : diffusers SchedulerMixin
        The scheduler.
    num_inference_steps : int
        K.

    Returns
    -------
    numpy.ndarray
        Shape (K + 1,), float64, the last entry 0.
    """
    scheduler.set_timesteps(int(num_inference_steps))
    return np.append(ou_time(_alpha_bars(scheduler)), 0.0)


def _as_float64(scheduler, torch):
    """Cast the scheduler's floating tensors (ᾱ, σ, ...) to float64 after ``set_timesteps``."""
    for name, value in list(vars(scheduler).items()):
        if isinstance(value, torch.Tensor) and value.is_floating_point() and name != "timesteps":
            setattr(scheduler, name, value.double())


def run_scheduler(scheduler: Any, score: Any, n: int, num_inference_steps: int, *,
                  seed: int = 0, dim: int | None = None, x_init: ArrayLike | None = None,
                  step_kwargs: dict[str, Any] | None = None, float64: bool = True) -> np.ndarray:
    """Run ``scheduler`` for ``num_inference_steps`` steps on the score model ``score``.

    Parameters
    ----------
    scheduler : diffusers ``SchedulerMixin`` instance
        Its ``prediction_type`` decides the conversion (module docstring).
    score : GaussianMixture, score model or callable
        ``f(x, t) -> (n, d)``, evaluated in NumPy float64 at OU time τ of each timestep on the
        VP state.
    n : int
        Particles.
    num_inference_steps : int
        K, the scheduler's steps.
    seed : int
        Counter-based start N(0, I) (``sampler.initial_noise``) and the torch generator of
        stochastic steps.
    dim : int, optional
        Needed for a plain callable without ``dim`` and without ``x_init``.
    x_init : array (n, d), optional
        Start in the VP parametrisation (multiplied by ``init_noise_sigma``), e.g. quantile
        nodes.
    step_kwargs : dict, optional
        Extra keyword arguments of ``scheduler.step`` (e.g. ``eta`` for DDIM).
    float64 : bool
        Cast the scheduler's float32 buffers (ᾱ, σ) to float64 after ``set_timesteps`` (default),
        so that its coefficients are float64 like the state, and scale the start by √(σ₀² + 1)
        in float64 instead of the float32 ``init_noise_sigma``; False runs it as shipped (its
        coefficients then carry float32 rounding, ~1e-7 relative). Casts written into the
        scheduler's code stay: ``DPMSolverMultistepScheduler.step`` rounds the state to
        float32 at every step either way (module docstring).

    Returns
    -------
    numpy.ndarray
        Shape (n, d), float64: the scheduler's output (a sample at ᾱ = 1).

    Raises
    ------
    ImportError
        diffusers or torch missing (names the extra).
    ValueError, TypeError
        Bad arguments (named); a non-finite output (names the step).
    """
    torch = _torch()
    from diffbounds.simulators._validate import check_int
    from diffbounds.simulators.sampler import initial_noise
    from diffbounds.simulators.scores import as_score_model

    if not (hasattr(scheduler, "set_timesteps") and hasattr(scheduler, "step")):
        raise TypeError("scheduler: expected a diffusers scheduler (set_timesteps, step)")
    model = as_score_model(score)
    n = check_int("n", n, 1)
    steps = check_int("num_inference_steps", num_inference_steps, 1)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    pred = scheduler.config.prediction_type
    if pred not in _PREDICTIONS:
        raise ValueError(f"scheduler: prediction_type {pred!r} is not supported "
                         f"({_PREDICTIONS})")
    if x_init is not None:
        x0 = np.asarray(x_init, dtype=np.float64)
        if x0.ndim != 2 or x0.shape[0] != n or not np.all(np.isfinite(x0)):
            raise ValueError(f"x_init: expected a finite ({n}, d) array, got {x0.shape}")
        d = x0.shape[1]
    else:
        d = getattr(model, "dim", None) or dim
        if d is None:
            raise ValueError("dim: a plain callable score needs dim= (or x_init)")
        x0 = initial_noise(seed, n, int(d))
    taus = scheduler_times(scheduler, steps)[:-1]
    if float64:
        _as_float64(scheduler, torch)
    gen = torch.Generator().manual_seed(seed)
    init = float(scheduler.init_noise_sigma)
    if float64 and init != 1.0:
        # the float32 init_noise_sigma = √(σ₀² + 1) recomputed from the float64 σ₀, so that the
        # first model input is exactly the VP start (rounding amplified up to ~300× measured)
        init = math.exp(float(taus[0]))
    x = torch.from_numpy(x0.copy()) * init
    kw = dict(step_kwargs or {})
    for i, t in enumerate(scheduler.timesteps):
        xin = scheduler.scale_model_input(x, t).double().numpy()
        s = np.asarray(model(xin, float(taus[i])), dtype=np.float64)
        out = prediction_from_score(s, xin, float(taus[i]), pred)
        res = scheduler.step(torch.from_numpy(out), t, x, generator=gen, **kw)
        x = res.prev_sample.double()
        if not torch.isfinite(x).all():
            raise ValueError(f"scheduler: non-finite state after step {i} (timestep {t})")
    return x.numpy().astype(np.float64)


@dataclass(frozen=True)
class PushforwardLaw:
    """Law of T(Z), Z ~ N(0, 1), from T on quantile nodes ``z`` (ascending) with values ``y``.

    ``tv(target)`` = ½ ∫ |φ(z) − q(T(z)) T′(z)| dz (change of variables y = T(z)) by the
    trapezoid rule on the nodes, T′ by centred differences (second order), plus the mass
    beyond the outermost nodes (bounded by 2Φ(−|z|max) on both sides, reported as
    ``tail_mass``).

    Attributes
    ----------
    z : numpy.ndarray
        Quantile nodes of N(0, 1), ascending, shape (m,).
    y : numpy.ndarray
        T(z), strictly increasing, shape (m,).
    tail_mass : float
        The N(0, 1) mass beyond the outermost nodes.
    """

    z: np.ndarray
    y: np.ndarray
    tail_mass: float

    def cdf(self, x: ArrayLike) -> np.ndarray:
        """P(T(Z) ≤ x) = Φ(T⁻¹(x)) (T increasing; linear interpolation between nodes).

        Parameters
        ----------
        x : array_like
            Points, any shape.

        Returns
        -------
        numpy.ndarray
            The distribution function, the shape of ``x``.
        """
        zi = np.interp(np.asarray(x, float), self.y, self.z, left=-np.inf, right=np.inf)
        return special.ndtr(zi)

    def tv(self, target: Any) -> float:
        """TV(law of T(Z), target), the integral of the class docstring.

        Parameters
        ----------
        target : GaussianMixture
            A 1-D law with ``pdf``, ``cdf`` and ``sf``.

        Returns
        -------
        float
            TV in [0, 1] up to the O(Δz²) method error, tails included.
        """
        z, y = self.z, self.y
        dy = np.gradient(y, z)
        q = target.pdf(y)
        f = np.abs(np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) - q * dy)
        # target mass beyond the image of the node range counts fully (one-sided tails)
        tail_q = float(target.cdf(y[0])) + float(target.sf(y[-1]))
        return 0.5 * float(np.trapezoid(f, z)) + 0.5 * (self.tail_mass + tail_q)


def pushforward_law(run: Callable[[np.ndarray], ArrayLike], *, nodes: int = 20001,
                    z_max: float = 7.0, start: Any = None) -> PushforwardLaw:
    """Exact 1-D law of a deterministic sampler: ``run(x_init)`` maps (m, 1) starts to (m, 1)
    outputs; it is called once on the quantile nodes z_i (uniform in z on [−z_max, z_max]).

    ``start``: optional 1-D GaussianMixture to start from instead of N(0, 1): the nodes are
    then F_start⁻¹(Φ(z_i)) (a monotone change of variable, so the output is still T(Z) with
    T = run ∘ F_start⁻¹ ∘ Φ); e.g. ``mixture.at(τ_0)`` removes the start-up error.

    Method error: trapezoid rule and centred differences, both O(Δz²) with Δz = 2 z_max/
    (nodes − 1); halving ``nodes`` estimates it. This assumes T smooth to rounding in float64:
    rounding noise of SD e in ``run``'s outputs (a scheduler computing in float32, e.g.
    DPMSolverMultistepScheduler) adds a TV artefact ∝ e/Δz that grows with ``nodes`` (module
    docstring); if the TV increases with ``nodes``, that is the cause.

    Parameters
    ----------
    run : callable
        Maps starts of shape (m, 1) to outputs (m, 1).
    nodes : int
        Number of quantile nodes m.
    z_max : float
        The nodes span [−z_max, z_max].
    start : GaussianMixture or None
        A 1-D start law instead of N(0, 1).

    Returns
    -------
    PushforwardLaw

    Examples
    --------
    >>> from diffbounds.simulators import GaussianMixture
    >>> law = pushforward_law(lambda x: 2.0 * x + 1.0, nodes=2001)  # N(1, 4) exactly
    >>> law.tv(GaussianMixture([1.0], [1.0], 4.0)) < 1e-5
    True

    Raises
    ------
    ValueError
        The map is not strictly increasing on the nodes (then T(Z)'s density is not
        φ/T′: not a monotone deterministic sampler) or returns non-finite values.
    """
    z = np.linspace(-z_max, z_max, int(nodes))
    x0 = z if start is None else np.asarray(start.quantile(special.ndtr(z)), dtype=np.float64)
    y = np.asarray(run(x0[:, None]), dtype=np.float64)[:, 0]
    if not np.all(np.isfinite(y)):
        raise ValueError("run: non-finite outputs on the quantile nodes")
    if np.any(np.diff(y) <= 0):
        raise ValueError("run: the sampler's map is not strictly increasing on the nodes "
                         "(stochastic or non-monotone): estimate its law by Monte Carlo")
    return PushforwardLaw(z, y, float(2.0 * special.ndtr(-z_max)))


class DiffusersSampler:
    """A diffusers scheduler as a sampler of ``simulators.sample`` (the generic NumPy path).

    ``sampler = DiffusersSampler(scheduler, K)``; ``sample(score, n, sampler.times,
    sampler=sampler)``. ``times`` are the OU times of the scheduler's timesteps followed by 0
    (``scheduler_times``); the state of ``sample`` is the VP state x at times[k], handed to the
    scheduler in its own parametrisation (× √(1 + σ_k²) for variance-exploding schedulers,
    whose ``init_noise_sigma`` ≠ 1) and read back after each ``scheduler.step``. Multistep
    schedulers keep their history inside the scheduler object, so one instance runs one chain
    (it is reset by ``set_timesteps`` at the first step). Stochastic steps use DDIM's
    ``variance_noise`` = the generic path's draw 0 when the scheduler accepts it, else a
    ``torch.Generator`` seeded with ``seed`` (batch-size dependent). Not of the Gaussian-step
    form in general (``gaussian_step`` False): exact laws via ``pushforward_law``.

    Parameters
    ----------
    scheduler : diffusers SchedulerMixin
        The scheduler (one instance per chain).
    num_inference_steps : int
        K >= 1.
    seed : int
        Seed of the torch generator of stochastic steps.
    float64 : bool
        Cast the scheduler's buffers to float64 (as :func:`run_scheduler`).
    step_kwargs : dict or None
        Extra keyword arguments of ``scheduler.step``.

    Raises
    ------
    TypeError
        ``scheduler`` is not a diffusers scheduler.
    ValueError
        ``num_inference_steps`` < 1.
    ImportError
        diffusers or torch missing.
    """

    gaussian_step = False
    deterministic = False

    def __init__(self, scheduler: Any, num_inference_steps: int, *, seed: int = 0,
                 float64: bool = True, step_kwargs: dict[str, Any] | None = None) -> None:
        if not (hasattr(scheduler, "set_timesteps") and hasattr(scheduler, "step")):
            raise TypeError("scheduler: expected a diffusers scheduler (set_timesteps, step)")
        self.torch = _torch()
        self.scheduler = scheduler
        self.K = int(num_inference_steps)
        if self.K < 1:
            raise ValueError(f"num_inference_steps: must be >= 1, got {num_inference_steps}")
        self.seed, self.float64 = int(seed), bool(float64)
        self.step_kwargs = dict(step_kwargs or {})
        self.times = scheduler_times(scheduler, self.K)
        self.name = f"diffusers.{type(scheduler).__name__}"
        self._ve = float(scheduler.init_noise_sigma) != 1.0

    def _scale(self, k):
        """x_sched / x_VP at step k (k = K: the output, at ᾱ = 1)."""
        if not self._ve:
            return 1.0
        return math.sqrt(1.0 + math.expm1(2.0 * float(self.times[k])))

    def step(self, x: np.ndarray, score: Callable[[np.ndarray, float], Any], times: np.ndarray,
             k: int, noise: Callable[[int], np.ndarray]) -> np.ndarray:
        """One scheduler step from ``times[k]`` to ``times[k + 1]`` (the generic sampler API).

        Parameters
        ----------
        x : numpy.ndarray
            VP states at ``times[k]``, shape (n, d).
        score : callable
            ``score(x, t)``.
        times : numpy.ndarray
            Must be ``self.times``.
        k : int
            The step.
        noise : callable
            ``noise(j)``: the generic path's j-th normal draw of this step, shape (n, d).

        Returns
        -------
        numpy.ndarray
            VP states at ``times[k + 1]``, shape (n, d).

        Raises
        ------
        ValueError
            ``times`` is not the sampler's own grid.
        """
        torch, sch = self.torch, self.scheduler
        if k == 0:
            sch.set_timesteps(self.K)
            if self.float64:
                _as_float64(sch, torch)
            self._gen = torch.Generator().manual_seed(self.seed)
        if len(times) != len(self.times) or np.any(np.asarray(times) != self.times):
            raise ValueError("times: run a DiffusersSampler on its own grid (sampler.times)")
        t = sch.timesteps[k]
        xs = torch.from_numpy(np.asarray(x, dtype=np.float64) * self._scale(k))
        xin = sch.scale_model_input(xs, t).double().numpy()
        tau = float(times[k])
        out = prediction_from_score(score(xin, tau), xin, tau, sch.config.prediction_type)
        kw = dict(self.step_kwargs)
        import inspect

        params = inspect.signature(sch.step).parameters
        if "variance_noise" in params and kw.get("eta", 0.0):
            kw["variance_noise"] = torch.from_numpy(noise(0))
        else:
            kw["generator"] = self._gen
        prev = sch.step(torch.from_numpy(out), t, xs, **kw).prev_sample.double().numpy()
        return prev / self._scale(k + 1)

    def __repr__(self):
        return f"DiffusersSampler({type(self.scheduler).__name__}, {self.K})"


class DDPMGaussianStep:
    """``DDPMScheduler``'s step as a sampler of the Gaussian-step form x′ = m_k(x) + c_k ξ, so
    that ``law1d.output_law(score, s.times, sampler=s)`` gives the exact 1-D law of diffusers'
    DDPM (and ``sample`` runs it on the generic path with counter-based noise).

    m_k is ``scheduler.step`` without its noise: the step is run with a torch generator and the
    normal it drew is regenerated from a copy of the generator's state and subtracted;
    c_k = √(``scheduler._get_variance(t)``) for t > 0 and 0 at t = 0 (diffusers adds no noise
    there). Uses the private ``_get_variance`` (diffusers 0.42); only
    ``variance_type="fixed_small"`` (the default) is supported. ``times`` as
    :class:`DiffusersSampler`; ``clip_sample`` and thresholding act inside m_k.

    Parameters
    ----------
    scheduler : diffusers.DDPMScheduler
        With ``variance_type="fixed_small"``.
    num_inference_steps : int
        K.
    float64 : bool
        Cast the scheduler's buffers to float64.

    Raises
    ------
    TypeError
        Not a DDPMScheduler.
    ValueError
        Another ``variance_type``.
    ImportError
        diffusers or torch missing.
    """

    gaussian_step = True
    deterministic = False
    score_evaluations = 1

    def __init__(self, scheduler: Any, num_inference_steps: int, *,
                 float64: bool = True) -> None:
        torch = _torch()
        if type(scheduler).__name__ != "DDPMScheduler":
            raise TypeError(f"scheduler: expected a DDPMScheduler, got "
                            f"{type(scheduler).__name__}")
        if scheduler.config.variance_type != "fixed_small":
            raise ValueError("scheduler: only variance_type='fixed_small' is supported, got "
                             f"{scheduler.config.variance_type!r}")
        self.torch, self.scheduler, self.K = torch, scheduler, int(num_inference_steps)
        self.times = scheduler_times(scheduler, self.K)
        if float64:
            _as_float64(scheduler, torch)
        self.name = "diffusers.DDPMScheduler"
        ts = scheduler.timesteps
        self._c = np.array([math.sqrt(float(scheduler._get_variance(t))) if int(t) > 0 else 0.0
                            for t in ts])

    def _check(self, times):
        if len(times) != len(self.times) or np.any(np.asarray(times) != self.times):
            raise ValueError("times: run a DDPMGaussianStep on its own grid (sampler.times)")

    def noise_scales(self, times: np.ndarray) -> np.ndarray:
        """c_k per step, shape (K,).

        Parameters
        ----------
        times : numpy.ndarray
            Must be ``self.times``.

        Returns
        -------
        numpy.ndarray
            Shape (K,); 0 at the scheduler's timestep 0.

        Raises
        ------
        ValueError
            ``times`` is not the sampler's own grid.
        """
        self._check(times)
        return self._c.copy()

    def mean_map(self, x: ArrayLike, score: Callable[[np.ndarray, float], Any],
                 times: np.ndarray, k: int) -> np.ndarray:
        """m_k(x): ``scheduler.step`` without its noise.

        Parameters
        ----------
        x : array_like
            VP states, any shape ((n, d), or scalars/(n,) for d = 1).
        score : callable
            ``score(x, t)``.
        times : numpy.ndarray
            Must be ``self.times``.
        k : int
            The step.

        Returns
        -------
        numpy.ndarray
            m_k(x), the shape of ``x``.

        Raises
        ------
        ValueError
            ``times`` is not the sampler's own grid.
        """
        from diffusers.utils.torch_utils import randn_tensor

        self._check(times)
        torch, sch = self.torch, self.scheduler
        arr = np.asarray(x, dtype=np.float64)
        flat = arr.reshape(-1, 1) if arr.ndim < 2 else arr
        t = sch.timesteps[k]
        tau = float(times[k])
        out = prediction_from_score(np.asarray(score(flat, tau), dtype=np.float64).reshape(
            flat.shape), flat, tau, sch.config.prediction_type)
        gen = torch.Generator().manual_seed(k)
        state = gen.get_state()
        prev = sch.step(torch.from_numpy(out), t, torch.from_numpy(flat.copy()),
                        generator=gen).prev_sample.double()
        if self._c[k] > 0:
            z = randn_tensor(prev.shape, generator=torch.Generator().set_state(state),
                             dtype=prev.dtype)
            prev = prev - self._c[k] * z
        return prev.numpy().reshape(arr.shape)

    def step(self, x: np.ndarray, score: Callable[[np.ndarray, float], Any], times: np.ndarray,
             k: int, noise: Callable[[int], np.ndarray]) -> np.ndarray:
        """x′ = m_k(x) + c_k ξ with ξ = ``noise(0)``.

        Parameters
        ----------
        x, score, times, k, noise
            As :meth:`DiffusersSampler.step`.

        Returns
        -------
        numpy.ndarray
            The states at ``times[k + 1]``.

        Raises
        ------
        ValueError
            ``times`` is not the sampler's own grid.
        """
        m = self.mean_map(x, score, times, k)
        return m if self._c[k] == 0 else m + self._c[k] * noise(0)

    def __repr__(self):
        return f"DDPMGaussianStep(DDPMScheduler, {self.K})"
