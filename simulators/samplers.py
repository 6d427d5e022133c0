"""Bring your own sampler: the step-rule contract, the built-in samplers, the generic NumPy path.

Conventions (design.md, "Conventions"; paper-notes §2.4). The forward process is the OU process
dX = −X dt + √2 dB, so q_t = law(e^{−t} X_0 + σ_t Z) with σ_t² = 1 − e^{−2t}, and the score is
s_t = ∇ log q_t. A sampler runs on a strictly decreasing grid T = t_0 > t_1 > … > t_N = t_stop.
Step k maps the state at t = times[k] to the state at t′ = times[k+1]; h = t − t′ > 0.

The contract of a step (what every sampler here and a user's own sampler follows)
---------------------------------------------------------------------------------
* **State.** ``x`` is an (n, d) float64 array (n particles, dimension d), one row per particle.
  The chain starts from N(0, I) drawn with ``sampler.initial_noise`` (counter-based normals at
  the reserved step index ``INIT_STEP``) unless ``x_init`` is given.
* **Score.** ``score(y, s)`` returns the (n, d) float64 score ŝ(y, s) for any (n, d) points
  ``y`` at any time ``s``; a step may call it any number of times (Heun calls it at t and at t′),
  always on the whole batch. The time of each call is part of the sampler's definition (stated
  in each built-in's docstring).
* **Noise.** ``noise(r)`` returns draw r = 0, 1, … of step k: the (n, d) block of standard
  normals whose entry (i, j) is ``rng.standard_normal(seed, particle_offset + i, k, r·d + j)``.
  Draw 0 is exactly the normal the built-in exponential integrator uses at step k, so a sampler
  that uses one normal per step shares its noise with ``sample``'s default path. Because every
  normal is a pure function of (seed, particle, step, coordinate), the output of a particle does
  not depend on the batch size or on which other particles run with it.
* **Result.** The step returns the (n, d) float64 state at t′; non-finite states are reported
  (``FloatingPointError``) at the end of the run.

Two kinds of sampler implement it:

* :class:`Sampler` subclasses of the *Gaussian-step form* x′ = m_k(x) + c_k ξ: ``mean_map(x,
  score, times, k)`` (m_k, built from any number of score calls, deterministic) and
  ``noise_scales(times)`` (c_k ≥ 0, shape (N,); 0 for deterministic samplers). This is the
  protocol of ``law_nd.ExponentialIntegrator``; every built-in has it, and ``law1d.output_law``
  computes the exact 1-D law of any sampler of this form.
* any Python callable ``step(x, score, t, t_next, noise) -> x_next`` (wrapped in
  :class:`CallableSampler`): it runs under ``sample`` (Monte Carlo) but has no exact law.

The built-ins (``BUILTINS``; formulas in this module's OU conventions, ŝ = ŝ(x, t) unless said):

============================  ==================================================================
``exponential_integrator``    x′ = e^h x + 2(e^h − 1) ŝ + √(e^{2h} − 1) ξ (the paper's DDPM step)
``euler_maruyama``            x′ = x + h (x + 2ŝ) + √(2h) ξ
``pf_euler``                  x′ = x + h (x + ŝ)
``pf_heun``                   x̃ = x + h (x + ŝ);  x′ = x + (h/2) [(x + ŝ) + (x̃ + ŝ(x̃, t′))]
``ddim``                      x′ = e^h x + (e^h σ_t² − σ_t σ_{t′}) ŝ            (η = 0)
``ancestral``                 x′ = e^h x + (e^h − e^{−h}) ŝ + σ_{t′}/σ_t √(1 − e^{−2h}) ξ
============================  ==================================================================

Cost of the generic path (``run``): the step rule in vectorized NumPy plus one Python call of
the score per evaluation on the whole batch. Measured by ``test_generic_path_cost`` (printed):
~0.8 µs per particle-step for Euler–Maruyama with an exact 2-component 1-D mixture score
(``mixture.at(t).score``) at n = 10⁵ on one shared core, dominated by the score and the
counter-based normals; a Heun step costs about twice that (two score calls).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from diffbounds.simulators._progress import progress_bar
from diffbounds.simulators._validate import check_int

__all__ = [
    "Sampler",
    "CallableSampler",
    "ExponentialIntegrator",
    "EulerMaruyama",
    "ProbabilityFlowEuler",
    "ProbabilityFlowHeun",
    "DDIM",
    "Ancestral",
    "BUILTINS",
    "DEFAULT",
    "get_sampler",
    "run",
]

DEFAULT = "exponential_integrator"


def _sigma(t):
    """σ_t = √(1 − e^{−2t}), in float64 (accurate for small t)."""
    return np.sqrt(-np.expm1(-2.0 * np.asarray(t, dtype=np.float64)))


def _h(times) -> np.ndarray:
    """Step sizes h_k = t_k − t_{k+1}, shape (N,), float64."""
    return -np.diff(np.asarray(times, dtype=np.float64))


def _exact_type(obj, cls, coefs):
    """``coefs`` for an instance of exactly ``cls``; None for a subclass (which may override
    the step's math and so must run on the generic path)."""
    return coefs if type(obj) is cls else None


def _steps(times, k):
    t, t_next = float(times[k]), float(times[k + 1])
    return t, t_next, t - t_next


class Sampler:
    """A sampler of the Gaussian-step form x′ = m_k(x) + c_k ξ (module docstring, "contract").

    Subclasses set ``name`` (str), ``score_evaluations`` (score calls per step) and implement
    ``mean_map(x, score, times, k)`` and ``noise_scales(times)``. ``deterministic`` is true when
    every c_k is 0. The step is ``mean_map(x, ...) + c_k · noise(0)``.
    """

    name: str = "sampler"
    score_evaluations: int = 1
    deterministic: bool = False
    #: True for samplers with x′ = m_k(x) + c_k ξ (exact laws in law1d / law_nd)
    gaussian_step: bool = True

    def mean_map(self, x, score: Callable, times, k: int):
        """m_k(x) for points ``x`` (any shape the score accepts); ``score(x, t)``."""
        raise NotImplementedError

    def noise_scales(self, times) -> np.ndarray:
        """c_k ≥ 0 for k = 0..N−1, shape (N,), float64."""
        raise NotImplementedError

    def kernel_coefficients(self, times) -> np.ndarray | None:
        """The step as coefficients of the compiled step math (``simulators.kernels._math``):
        an (N, 3) float64 array (a_k, b_k, c_k) of the one-stage update
        x′ = a_k x + b_k ŝ(x, t_k) + c_k ξ, an (N, 7) array (a₁, b₁, 0, a₂, b₂, b₃, b₄) of the
        two-stage step x̃ = a₁ x + b₁ ŝ(x, t_k), x′ = a₂ x + b₂ ŝ(x, t_k) + b₃ x̃ + b₄ ŝ(x̃, t_{k+1}),
        or None when the step has no compiled form (it then runs on the generic path). Only
        the built-in classes themselves are compiled; a subclass runs on the generic path
        unless it overrides this method too."""
        return None

    def step(self, x, score, times, k, noise):
        """x′ = m_k(x) + c_k ξ with ξ = ``noise(0)`` (skipped when c_k = 0)."""
        m = self.mean_map(x, score, times, k)
        c = float(self.noise_scales(np.asarray(times[k:k + 2], dtype=np.float64))[0])
        return m if c == 0.0 else m + c * noise(0)

    def __repr__(self):
        return f"{type(self).__name__}()"


class ExponentialIntegrator(Sampler):
    """The paper's DDPM discretisation (paper-notes §2.4; Gupta et al. 2024, eq. of the
    sampler; Benton et al. 2024): freeze the score at t over [t′, t] and integrate the linear
    reverse SDE dY = (Y + 2ŝ) dτ + √2 dB exactly:

    x′ = e^h x + 2(e^h − 1) ŝ(x, t) + √(e^{2h} − 1) ξ.

    One score call, at t = times[k]. ``run`` with this sampler reproduces
    ``simulators.sample``'s NumPy-backend output bit for bit for a callable score in float64.
    """

    name = "exponential_integrator"

    def mean_map(self, x, score, times, k):
        from diffbounds.simulators.sampler import integrator_coefficients

        a, b, _ = integrator_coefficients(np.asarray(times[k:k + 2], dtype=np.float64))[0]
        return a * x + b * score(x, float(times[k]))

    def kernel_coefficients(self, times):
        from diffbounds.simulators.sampler import integrator_coefficients

        return _exact_type(self, ExponentialIntegrator, integrator_coefficients(times))

    def noise_scales(self, times):
        from diffbounds.simulators.sampler import integrator_coefficients

        return integrator_coefficients(times)[:, 2]


class EulerMaruyama(Sampler):
    """Euler–Maruyama on the reverse SDE dY = (Y + 2 s(Y, T − τ)) dτ + √2 dB
    (Anderson 1982; Song et al. 2021, eq. 6, in OU time):

    x′ = x + h (x + 2 ŝ(x, t)) + √(2h) ξ.

    One score call, at t = times[k]. Weak order 1.
    """

    name = "euler_maruyama"

    def mean_map(self, x, score, times, k):
        t, _, h = _steps(times, k)
        return x + h * (x + 2.0 * score(x, t))

    def kernel_coefficients(self, times):
        h = _h(times)
        return _exact_type(self, EulerMaruyama,
                           np.stack([1.0 + h, 2.0 * h, self.noise_scales(times)], axis=1))

    def noise_scales(self, times):
        return np.sqrt(-2.0 * np.diff(np.asarray(times, dtype=np.float64)))


class ProbabilityFlowEuler(Sampler):
    """Explicit Euler on the probability-flow ODE dY/dτ = Y + s(Y, T − τ) (Song et al. 2021,
    eq. 13, in OU time): x′ = x + h (x + ŝ(x, t)). One score call, at t. Deterministic, order 1.
    """

    name = "pf_euler"
    deterministic = True

    def mean_map(self, x, score, times, k):
        t, _, h = _steps(times, k)
        return x + h * (x + score(x, t))

    def kernel_coefficients(self, times):
        h = _h(times)
        return _exact_type(self, ProbabilityFlowEuler,
                           np.stack([1.0 + h, h, np.zeros_like(h)], axis=1))

    def noise_scales(self, times):
        return np.zeros(len(times) - 1)


class ProbabilityFlowHeun(Sampler):
    """Heun's method (explicit trapezoid) on the probability-flow ODE (Karras et al. 2022,
    Algorithm 1 without churn, in OU time): with f(y, s) = y + ŝ(y, s),

    x̃ = x + h f(x, t),   x′ = x + (h/2) (f(x, t) + f(x̃, t′)).

    Two score calls: at (x, t = times[k]) and at (x̃, t′ = times[k+1]). Deterministic, order 2.
    """

    name = "pf_heun"
    deterministic = True
    score_evaluations = 2

    def mean_map(self, x, score, times, k):
        t, t_next, h = _steps(times, k)
        d1 = x + score(x, t)
        x_pred = x + h * d1
        d2 = x_pred + score(x_pred, t_next)
        return x + (0.5 * h) * (d1 + d2)

    def kernel_coefficients(self, times):
        # x̃ = (1 + h) x + h ŝ(x, t);  x′ = (1 + h/2) x + (h/2) ŝ(x, t) + (h/2) x̃ + (h/2) ŝ(x̃, t′)
        h = _h(times)
        half = 0.5 * h
        return _exact_type(self, ProbabilityFlowHeun,
                           np.stack([1.0 + h, h, np.zeros_like(h), 1.0 + half, half, half,
                                     half], axis=1))

    def noise_scales(self, times):
        return np.zeros(len(times) - 1)


class DDIM(Sampler):
    """DDIM with η = 0 (Song, Meng & Ermon 2021, eq. 12) in OU time, α_t = e^{−t}: with the
    noise prediction ε̂ = −σ_t ŝ(x, t) and x̂_0 = (x − σ_t ε̂)/α_t,
    x′ = α_{t′} x̂_0 + σ_{t′} ε̂, i.e.

    x′ = e^h x + (e^h σ_t² − σ_t σ_{t′}) ŝ(x, t).

    This is the exponential integrator of the probability-flow ODE with the noise prediction
    (not the score) frozen over the step. One score call, at t. Deterministic.
    """

    name = "ddim"
    deterministic = True

    def mean_map(self, x, score, times, k):
        t, t_next, h = _steps(times, k)
        st, sn = float(_sigma(t)), float(_sigma(t_next))
        e = math.exp(h)
        return e * x + (e * st * st - st * sn) * score(x, t)

    def kernel_coefficients(self, times):
        times = np.asarray(times, dtype=np.float64)
        h = _h(times)
        st, sn = _sigma(times[:-1]), _sigma(times[1:])
        e = np.exp(h)
        return _exact_type(self, DDIM,
                           np.stack([e, e * st * st - st * sn, np.zeros_like(h)], axis=1))

    def noise_scales(self, times):
        return np.zeros(len(times) - 1)


class Ancestral(Sampler):
    """Ancestral sampling: the DDPM posterior step (Ho et al. 2020, eqs. 6–7 and 15) in OU
    time. Between t′ < t the forward transition is x_t | x_{t′} ~ N(e^{−h} x_{t′}, β),
    β = 1 − e^{−2h}; the posterior q(x_{t′} | x_t, x_0) with x_0 replaced by
    x̂_0 = (x + σ_t² ŝ(x, t)) / e^{−t} has mean and variance

    x′ = e^h x + (e^h − e^{−h}) ŝ(x, t) + (σ_{t′}/σ_t) √β ξ.

    One score call, at t. The last step to t′ = 0 is deterministic (σ_0 = 0).
    """

    name = "ancestral"

    def mean_map(self, x, score, times, k):
        t, _, h = _steps(times, k)
        return math.exp(h) * x + (2.0 * math.sinh(h)) * score(x, t)

    def kernel_coefficients(self, times):
        h = _h(times)
        return _exact_type(self, Ancestral, np.stack([np.exp(h), 2.0 * np.sinh(h),
                                                      self.noise_scales(times)], axis=1))

    def noise_scales(self, times):
        times = np.asarray(times, dtype=np.float64)
        h = -np.diff(times)
        return _sigma(times[1:]) / _sigma(times[:-1]) * np.sqrt(-np.expm1(-2.0 * h))


class CallableSampler:
    """A user's step ``fn(x, score, t, t_next, noise) -> x_next`` (module docstring, contract).

    It runs under ``sample`` (the generic path) only: its step is not known to be of the
    Gaussian form, so it has no exact law (``gaussian_step`` is False).
    """

    gaussian_step = False
    deterministic = False

    def __init__(self, fn, name=None):
        if not callable(fn):
            raise TypeError(f"sampler: expected a built-in name, a Sampler or a callable, "
                            f"got {type(fn).__name__}")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "callable")

    def step(self, x, score, times, k, noise):
        return self.fn(x, score, float(times[k]), float(times[k + 1]), noise)

    def check_signature(self):
        """TypeError naming ``sampler`` unless ``fn`` accepts the contract's five arguments."""
        import inspect

        try:
            inspect.signature(self.fn).bind(None, None, 0.0, 0.0, None)
        except TypeError as exc:
            raise TypeError(f"sampler: a step callable must accept (x, score, t, t_next, noise) "
                            f"(module diffbounds.simulators.samplers); {self.name!r}: {exc}") \
                from None
        except ValueError:  # no signature available (a builtin): checked when it runs
            pass

    def __repr__(self):
        return f"CallableSampler({self.name!r})"


BUILTINS = {cls.name: cls for cls in (ExponentialIntegrator, EulerMaruyama, ProbabilityFlowEuler,
                                      ProbabilityFlowHeun, DDIM, Ancestral)}


def get_sampler(sampler):
    """Resolve ``sampler`` (a built-in name, a :class:`Sampler`, an object with a method
    ``step(x, score, times, k, noise)`` of the contract, or a plain callable
    ``step(x, score, t, t_next, noise)``) to an object with ``step``.

    Raises
    ------
    ValueError
        An unknown built-in name (the known ones are listed).
    TypeError
        Anything else that is not callable.
    """
    if sampler is None:
        return ExponentialIntegrator()
    if isinstance(sampler, str):
        if sampler not in BUILTINS:
            raise ValueError(f"sampler: unknown built-in {sampler!r}; known: {sorted(BUILTINS)}")
        return BUILTINS[sampler]()
    if isinstance(sampler, type) and issubclass(sampler, Sampler):
        return sampler()
    if isinstance(sampler, (Sampler, CallableSampler)):
        return sampler
    if callable(getattr(sampler, "step", None)):
        # an object with the contract's step(x, score, times, k, noise) (e.g. a Gaussian-step
        # sampler not derived from Sampler, or adapters.diffusers.DiffusersSampler)
        return sampler
    wrapped = CallableSampler(sampler)
    wrapped.check_signature()
    return wrapped


def _name(obj) -> str:
    return str(getattr(obj, "name", type(obj).__name__))


def is_default(sampler) -> bool:
    """True when ``sampler`` means the built-in exponential integrator (``sample``'s own path)."""
    return sampler is None or (isinstance(sampler, str) and sampler == DEFAULT) or \
        type(sampler) is ExponentialIntegrator or sampler is ExponentialIntegrator


def _noise_source(seed, n, d, k, particle_offset):
    """``noise(r)``: draw r of step k (module docstring, contract)."""
    from diffbounds.simulators.kernels.numpy_backend import normals
    from diffbounds.simulators.rng import standard_normal

    def noise(r=0):
        r = int(r)
        if r < 0:
            raise ValueError(f"noise: draw index must be >= 0, got {r}")
        if r == 0:
            return normals(seed, n, k, d, particle_offset=particle_offset)
        particles = np.arange(particle_offset, particle_offset + n, dtype=np.uint64)[:, None]
        coords = (r * d + np.arange(d, dtype=np.uint64))[None, :]
        return standard_normal(np.uint64(seed), particles, np.uint64(k), coords)

    return noise


def run(sampler, model, n, d, times, *, seed=0, dtype="float64", x_init=None, callback=None,
        progress=False, particle_offset=0):
    """The generic path: run ``sampler``'s step on the whole batch in NumPy.

    Called by ``simulators.sample(..., sampler=...)`` after it validated its arguments (use
    ``sample``; this is its back end). The state is float64 throughout and rounded to ``dtype``
    after every step (so float32 runs store float32 states, as the kernels do).

    Returns
    -------
    ndarray, shape (n, d), of ``dtype``: the states at ``times[-1]``.

    Raises
    ------
    ValueError
        The score or the sampler's step returns a wrong shape; the score returns non-finite
        values (the step and time are named).
    FloatingPointError
        Particles ended non-finite.
    """
    from diffbounds.simulators.sampler import initial_noise

    step_obj = get_sampler(sampler)
    n = check_int("n", n, 1)
    times = np.asarray(times, dtype=np.float64)
    X = (np.array(x_init, dtype=dtype) if x_init is not None
         else initial_noise(seed, n, d, dtype=dtype, particle_offset=particle_offset))
    X = X.astype(np.float64)

    def make_score(k):
        def score(y, t):
            s = np.asarray(model(y, float(t)), dtype=np.float64)
            if s.shape != y.shape:
                raise ValueError(f"score: returned shape {s.shape}, expected {y.shape} "
                                 f"(step {k}, t = {t})")
            if not np.all(np.isfinite(s)):
                raise ValueError(f"score: returned non-finite values at step {k} (t = {t})")
            return s
        return score

    n_steps = len(times) - 1
    with progress_bar(progress, n_steps, desc=f"sample[{_name(step_obj)}]") as bar:
        for k in range(n_steps):
            noise = _noise_source(seed, n, d, k, particle_offset)
            Y = np.asarray(step_obj.step(X, make_score(k), times, k, noise), dtype=np.float64)
            if Y.shape != (n, d):
                raise ValueError(f"sampler: step {k} returned shape {Y.shape}, "
                                 f"expected {(n, d)}")
            X = Y.astype(dtype).astype(np.float64) if dtype != "float64" else Y
            bar.update(1)
            if callback is not None:
                callback(k, float(times[k + 1]), X.astype(dtype))
    X = X.astype(dtype)
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise FloatingPointError(
            f"sample: {int(bad.sum())} of {n} particles ended non-finite "
            f"(sampler={_name(step_obj)!r}, dtype={dtype!r}); check the sampler, score and "
            "schedule" + (", or use float64" if dtype == "float32" else ""))
    return X
