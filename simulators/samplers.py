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

The built-ins are also compiled: ``Sampler.kernel_coefficients`` gives each built-in's step as
coefficients of the shared step math (``simulators.kernels._math``: the one-stage update
x′ = a_k x + b_k ŝ(x, t_k) + c_k ξ, or the two-stage Heun step), so ``sample`` runs them inside
the kernels of every backend, with the same noise draws as the generic path (draw 0 of step k).
A user's ``Sampler`` subclass or callable runs on the generic path below.

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
from typing import Any, Protocol, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

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

#: ``score(y, s)``: the (n, d) float64 score ŝ(y, s) at points ``y`` and time ``s`` (contract)
ScoreFn = Callable[[Any, float], Any]
#: ``noise(r=0)``: draw r of the current step, an (n, d) block of standard normals (contract)
NoiseFn = Callable[..., np.ndarray]


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
    every c_k is 0. The step is ``mean_map(x, ...) + c_k · noise(0)``. The constructor takes
    no arguments.

    Examples
    --------
    A user's sampler: Euler–Maruyama with the drift x + 2ŝ frozen (the built-in
    ``EulerMaruyama`` written as a subclass; it runs on the generic path and has exact 1-D
    laws through ``law1d.output_law``):

    >>> import numpy as np
    >>> from diffbounds.simulators.samplers import Sampler
    >>> class MyEuler(Sampler):
    ...     name = "my_euler"
    ...     def mean_map(self, x, score, times, k):
    ...         h = times[k] - times[k + 1]
    ...         return x + h * (x + 2.0 * score(x, times[k]))
    ...     def noise_scales(self, times):
    ...         return np.sqrt(-2.0 * np.diff(np.asarray(times, dtype=float)))
    >>> times = np.array([1.0, 0.5])
    >>> x = np.array([[1.0]])
    >>> MyEuler().step(x, lambda y, t: -y, times, 0, lambda r=0: np.ones((1, 1)))
    array([[1.5]])
    """

    name: str = "sampler"
    score_evaluations: int = 1
    deterministic: bool = False
    #: True for samplers with x′ = m_k(x) + c_k ξ (exact laws in law1d / law_nd)
    gaussian_step: bool = True

    def mean_map(self, x: np.ndarray, score: ScoreFn, times: np.ndarray,
                 k: int) -> np.ndarray:
        """m_k(x), the deterministic part of step k (subclasses implement it).

        Parameters
        ----------
        x : numpy.ndarray
            Points, any shape the score accepts: (n, d) states under ``sample``, lattice
            points (and NumPy scalars) under the exact laws of ``law1d`` / ``law_nd``.
        score : callable
            ``score(y, s)``, the score ŝ(y, s) (the contract; any number of calls).
        times : numpy.ndarray, shape (N + 1,)
            The decreasing grid; step k goes from ``times[k]`` to ``times[k+1]``.
        k : int
            The step, 0 ≤ k < N.

        Returns
        -------
        numpy.ndarray
            m_k(x), the shape of ``x``, float64.

        Raises
        ------
        NotImplementedError
            In the base class.
        """
        raise NotImplementedError

    def noise_scales(self, times: ArrayLike) -> np.ndarray:
        """c_k ≥ 0 for k = 0..N−1, the noise scale of every step (subclasses implement it).

        Parameters
        ----------
        times : array_like, shape (N + 1,)
            The decreasing grid.

        Returns
        -------
        numpy.ndarray, shape (N,), float64
            c_k; zeros for a deterministic sampler.

        Raises
        ------
        NotImplementedError
            In the base class.
        """
        raise NotImplementedError

    def kernel_coefficients(self, times: ArrayLike) -> np.ndarray | None:
        """The step as coefficients of the compiled step math (``simulators.kernels._math``).

        An (N, 3) float64 array (a_k, b_k, c_k) of the one-stage update
        x′ = a_k x + b_k ŝ(x, t_k) + c_k ξ, an (N, 7) array (a₁, b₁, 0, a₂, b₂, b₃, b₄) of the
        two-stage step x̃ = a₁ x + b₁ ŝ(x, t_k), x′ = a₂ x + b₂ ŝ(x, t_k) + b₃ x̃ + b₄ ŝ(x̃, t_{k+1}),
        or None when the step has no compiled form (it then runs on the generic path). Only
        the built-in classes themselves are compiled; a subclass runs on the generic path
        unless it overrides this method too.

        Parameters
        ----------
        times : array_like, shape (N + 1,)
            The decreasing grid.

        Returns
        -------
        numpy.ndarray of shape (N, 3) or (N, 7), float64, or None
            None in the base class (and for any subclass of a built-in).

        Examples
        --------
        >>> from diffbounds.simulators.samplers import EulerMaruyama
        >>> EulerMaruyama().kernel_coefficients([1.0, 0.5])  # (1 + h, 2h, √(2h)), h = ½
        array([[1.5, 1. , 1. ]])
        >>> class Mine(EulerMaruyama):
        ...     pass
        >>> Mine().kernel_coefficients([1.0, 0.5]) is None  # generic path
        True
        """
        return None

    def step(self, x: np.ndarray, score: ScoreFn, times: np.ndarray, k: int,
             noise: NoiseFn) -> np.ndarray:
        """x′ = m_k(x) + c_k ξ with ξ = ``noise(0)`` (skipped when c_k = 0): the contract's step.

        Parameters
        ----------
        x : numpy.ndarray, shape (n, d)
            States at ``times[k]``, float64.
        score : callable
            ``score(y, s)``, the score ŝ(y, s).
        times : numpy.ndarray, shape (N + 1,)
            The decreasing grid.
        k : int
            The step, 0 ≤ k < N.
        noise : callable
            ``noise(r)``: draw r of step k, an (n, d) block of standard normals.

        Returns
        -------
        numpy.ndarray, shape (n, d)
            States at ``times[k+1]``.

        Examples
        --------
        One deterministic step of ``pf_euler`` with the score of N(0, 1), ŝ(y) = −y:
        x′ = x + h (x − x) = x.

        >>> import numpy as np
        >>> from diffbounds.simulators.samplers import ProbabilityFlowEuler
        >>> ProbabilityFlowEuler().step(np.array([[2.0]]), lambda y, t: -y,
        ...                             np.array([1.0, 0.5]), 0, None)
        array([[2.]])
        """
        m = np.asarray(self.mean_map(x, score, times, k))
        if m.shape != np.shape(x):
            raise ValueError(f"sampler: {type(self).__name__}.mean_map returned shape {m.shape} "
                             f"at step {k}, expected the shape of x {np.shape(x)}")
        c = float(self.noise_scales(np.asarray(times[k:k + 2], dtype=np.float64))[0])
        return m if c == 0.0 else m + c * noise(0)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ExponentialIntegrator(Sampler):
    """The paper's DDPM discretisation (paper-notes §2.4; Gupta et al. 2024, eq. (13) and
    App. B; Benton et al. 2024): freeze the score at t over [t′, t] and integrate the linear
    reverse SDE dY = (Y + 2ŝ) dτ + √2 dB exactly:

    x′ = e^h x + 2(e^h − 1) ŝ(x, t) + √(e^{2h} − 1) ξ.

    One score call, at t = times[k]. ``run`` with this sampler reproduces
    ``simulators.sample``'s NumPy-backend output bit for bit for a callable score in float64.

    Examples
    --------
    >>> import numpy as np
    >>> from diffbounds.simulators.samplers import ExponentialIntegrator
    >>> c = ExponentialIntegrator().noise_scales([1.0, 0.0])  # h = 1: c² = e² − 1
    >>> bool(np.isclose(c[0] ** 2, np.e ** 2 - 1))
    True
    """

    name = "exponential_integrator"

    def mean_map(self, x: np.ndarray, score: ScoreFn, times: np.ndarray,
                 k: int) -> np.ndarray:
        """m_k(x) = e^h x + 2(e^h − 1) ŝ(x, t).

        Parameters
        ----------
        x : numpy.ndarray
            Points, any shape the score accepts.
        score : callable
            ``score(y, s)``; called once, at t = times[k].
        times : numpy.ndarray, shape (N + 1,)
            The decreasing grid; h = times[k] − times[k+1].
        k : int
            The step, 0 ≤ k < N.

        Returns
        -------
        numpy.ndarray
            m_k(x), the shape of ``x``.
        """
        from diffbounds.simulators.sampler import integrator_coefficients

        a, b, _ = integrator_coefficients(np.asarray(times[k:k + 2], dtype=np.float64))[0]
        return a * x + b * score(x, float(times[k]))

    def kernel_coefficients(self, times: ArrayLike) -> np.ndarray | None:
        """The step's coefficients for the compiled kernels (``Sampler.kernel_coefficients``).

        (a_k, b_k, c_k) = (e^h, 2(e^h − 1), √(e^{2h} − 1)) per step.

        Parameters
        ----------
        times : array_like, shape (N + 1,)
            The decreasing grid.

        Returns
        -------
        numpy.ndarray, shape (N, 3), float64, or None
            None for a subclass (which runs on the generic path).
        """
        from diffbounds.simulators.sampler import integrator_coefficients

        return _exact_type(self, ExponentialIntegrator, integrator_coefficients(times))

    def noise_scales(self, times: ArrayLike) -> np.ndarray:
        """c_k = √(e^{2h} − 1) for every step.

        Parameters
        ----------
        times : array_like, shape (N + 1,)
            The decreasing grid.

        Returns
        -------
        numpy.ndarray, shape (N,), float64
        """
        from diffbounds.simulators.sampler import integrator_coefficients

        return integrator_coefficients(times)[:, 2]


class EulerMaruyama(Sampler):
    """Euler–Maruyama on the reverse SDE dY = (Y + 2 s(Y, T − τ)) dτ + √2 dB
    (Anderson 1982; Song et al. 2021, eq. 6, in OU time):

    x′ = x + h (x + 2 ŝ(x, t)) + √(2h) ξ.

    One score call, at t = times[k]. Weak order 1.

    Examples
    --------
    >>> from diffbounds.simulators.samplers import EulerMaruyama
    >>> EulerMaruyama().noise_scales([1.0, 0.5, 0.0])  # √(2h), h = ½
    array([1., 1.])
    """

    name = "euler_maruyama"

    def mean_map(self, x: np.ndarray, score: ScoreFn, times: np.ndarray,
                 k: int) -> np.ndarray:
        """m_k(x) = x + h (x + 2 ŝ(x, t)).

        Parameters
        ----------
        x : numpy.ndarray
            Points, any shape the score accepts.
        score : callable
            ``score(y, s)``; called once, at t = times[k].
        times : numpy.ndarray, shape (N + 1,)
            The decreasing grid; h = times[k] − times[k+1].
        k : int
            The step, 0 ≤ k < N.

        Returns
        -------
        numpy.ndarray
            m_k(x), the shape of ``x``.
        """
        t, _, h = _steps(times, k)
        return x + h * (x + 2.0 * score(x, t))

    def kernel_coefficients(self, times: ArrayLike) -> np.ndarray | None:
        """The step's coefficients for the compiled kernels (``Sampler.kernel_coefficients``).

        (a_k, b_k, c_k) = (1 + h, 2h, √(2h)) per step.

        Parameters
        ----------
        times : array_like, shape (N + 1,)
            The decreasing grid.

        Returns
        -------
        numpy.ndarray, shape (N, 3), float64, or None
            None for a subclass (which runs on the generic path).
        """
        h = _h(times)
        return _exact_type(self, EulerMaruyama,
                           np.stack([1.0 + h, 2.0 * h, self.noise_scales(times)], axis=1))

    def noise_scales(self, times: ArrayLike) -> np.ndarray:
        """c_k = √(2h) for every step.

        Parameters
        ----------
        times : array_like, shape (N + 1,)
            The decreasing grid.

        Returns
        -------
        numpy.ndarray, shape (N,), float64
        """
        return np.sqrt(-2.0 * np.diff(np.asarray(times, dtype=np.float64)))


class ProbabilityFlowEuler(Sampler):
    """Explicit Euler on the probability-flow ODE dY/dτ = Y + s(Y, T − τ) (Song et al. 2021,
    eq. 13, in OU time): x′ = x + h (x + ŝ(x, t)). One score call, at t. Deterministic, order 1.

    Examples
    --------
    >>> from diffbounds.simulators.samplers import ProbabilityFlowEuler
    >>> ProbabilityFlowEuler().kernel_coefficients([1.0, 0.5])  # (1 + h, h, 0), h = ½
    array([[1.5, 0.5, 0. ]])
    """

    name = "pf_euler"
    deterministic = True

    def mean_map(self, x: np.ndarray, score: ScoreFn, times: np.ndarray,
                 k: int) -> np.ndarray:
        """m_k(x) = x + h (x + ŝ(x, t)).

        Parameters
        ----------
        x : numpy.ndarray
            Points, any shape the score accepts.
        score : callable
            ``score(y, s)``; called once, at t = times[k].
        times : numpy.ndarray, shape (N + 1,)
            The decreasing grid; h = times[k] − times[k+1].
        k : int
            The step, 0 ≤ k < N.

        Returns
        -------
        numpy.ndarray
            m_k(x), the shape of ``x``.
        """
        t, _, h = _steps(times, k)
        return x + h * (x + score(x, t))

    def kernel_coefficients(self, times: ArrayLike) -> np.ndarray | None:
        """The step's coefficients for the compiled kernels (``Sampler.kernel_coefficients``).

        (a_k, b_k, c_k) = (1 + h, h, 0) per step.

        Parameters
        ----------
        times : array_like, shape (N + 1,)
            The decreasing grid.

        Returns
        -------
        numpy.ndarray, shape (N, 3), float64, or None
            None for a subclass (which runs on the generic path).
        """
        h = _h(times)
        return _exact_type(self, ProbabilityFlowEuler,
                           np.stack([1.0 + h, h, np.zeros_like(h)], axis=1))

    def noise_scales(self, times: ArrayLike) -> np.ndarray:
        """c_k = 0 (deterministic) for every step.

        Parameters
        ----------
        times : array_like, shape (N + 1,)
            The decreasing grid.

        Returns
        -------
        numpy.ndarray, shape (N,), float64
        """
        return np.zeros(len(np.asarray(times)) - 1)


class ProbabilityFlowHeun(Sampler):
    """Heun's method (explicit trapezoid) on the probability-flow ODE (Karras et al. 2022,
    Algorithm 1 without churn, in OU time): with f(y, s) = y + ŝ(y, s),

    x̃ = x + h f(x, t),   x′ = x + (h/2) (f(x, t) + f(x̃, t′)).

    Two score calls: at (x, t = times[k]) and at (x̃, t′ = times[k+1]). Deterministic, order 2.

    Examples
    --------
    With the score of N(0, 1) data, ŝ(y, s) = −y, the flow's velocity y + ŝ is 0 and the
    step keeps x:

    >>> import numpy as np
    >>> from diffbounds.simulators.samplers import ProbabilityFlowHeun
    >>> ProbabilityFlowHeun().mean_map(np.array([[0.7]]), lambda y, s: -y,
    ...                                np.array([1.0, 0.5]), 0)
    array([[0.7]])
    """

    name = "pf_heun"
    deterministic = True
    score_evaluations = 2

    def mean_map(self, x: np.ndarray, score: ScoreFn, times: np.ndarray,
                 k: int) -> np.ndarray:
        """m_k(x) = x + (h/2) (f(x, t) + f(x̃, t′)) with f(y, s) = y + ŝ(y, s) and x̃ = x + h f(x, t).

        Parameters
        ----------
        x : numpy.ndarray
            Points, any shape the score accepts.
        score : callable
            ``score(y, s)``; called twice, at (x, t = times[k]) and at (x̃, t′ = times[k+1]).
        times : numpy.ndarray, shape (N + 1,)
            The decreasing grid; h = times[k] − times[k+1].
        k : int
            The step, 0 ≤ k < N.

        Returns
        -------
        numpy.ndarray
            m_k(x), the shape of ``x``.
        """
        t, t_next, h = _steps(times, k)
        d1 = x + score(x, t)
        x_pred = x + h * d1
        d2 = x_pred + score(x_pred, t_next)
        return x + (0.5 * h) * (d1 + d2)

    def kernel_coefficients(self, times: ArrayLike) -> np.ndarray | None:
        """The step's coefficients for the compiled kernels (``Sampler.kernel_coefficients``).

        The two-stage coefficients (a₁, b₁, 0, a₂, b₂, b₃, b₄) =
        (1 + h, h, 0, 1 + h/2, h/2, h/2, h/2) per step.

        Parameters
        ----------
        times : array_like, shape (N + 1,)
            The decreasing grid.

        Returns
        -------
        numpy.ndarray, shape (N, 7), float64, or None
            None for a subclass (which runs on the generic path).
        """
        # x̃ = (1 + h) x + h ŝ(x, t);  x′ = (1 + h/2) x + (h/2) ŝ(x, t) + (h/2) x̃ + (h/2) ŝ(x̃, t′)
        h = _h(times)
        half = 0.5 * h
        return _exact_type(self, ProbabilityFlowHeun,
                           np.stack([1.0 + h, h, np.zeros_like(h), 1.0 + half, half, half,
                                     half], axis=1))

    def noise_scales(self, times: ArrayLike) -> np.ndarray:
        """c_k = 0 (deterministic) for every step.

        Parameters
        ----------
        times : array_like, shape (N + 1,)
            The decreasing grid.

        Returns
        -------
        numpy.ndarray, shape (N,), float64
        """
        return np.zeros(len(np.asarray(times)) - 1)


class DDIM(Sampler):
    """DDIM with η = 0 (Song, Meng & Ermon 2021, eq. 12) in OU time, α_t = e^{−t}: with the
    noise prediction ε̂ = −σ_t ŝ(x, t) and x̂_0 = (x − σ_t ε̂)/α_t,
    x′ = α_{t′} x̂_0 + σ_{t′} ε̂, i.e.

    x′ = e^h x + (e^h σ_t² − σ_t σ_{t′}) ŝ(x, t).

    This is the exponential integrator of the probability-flow ODE with the noise prediction
    (not the score) frozen over the step. One score call, at t. Deterministic.

    Examples
    --------
    >>> import numpy as np
    >>> from diffbounds.simulators.samplers import DDIM
    >>> a, b, c = DDIM().kernel_coefficients([1.0, 0.0])[0]  # σ_0 = 0: b = e σ_1² = e − 1/e
    >>> bool(np.isclose(a, np.e) and np.isclose(b, 2 * np.sinh(1.0)) and c == 0.0)
    True
    """

    name = "ddim"
    deterministic = True

    def mean_map(self, x: np.ndarray, score: ScoreFn, times: np.ndarray,
                 k: int) -> np.ndarray:
        """m_k(x) = e^h x + (e^h σ_t² − σ_t σ_{t′}) ŝ(x, t).

        Parameters
        ----------
        x : numpy.ndarray
            Points, any shape the score accepts.
        score : callable
            ``score(y, s)``; called once, at t = times[k].
        times : numpy.ndarray, shape (N + 1,)
            The decreasing grid; h = times[k] − times[k+1].
        k : int
            The step, 0 ≤ k < N.

        Returns
        -------
        numpy.ndarray
            m_k(x), the shape of ``x``.
        """
        t, t_next, h = _steps(times, k)
        st, sn = float(_sigma(t)), float(_sigma(t_next))
        e = math.exp(h)
        return e * x + (e * st * st - st * sn) * score(x, t)

    def kernel_coefficients(self, times: ArrayLike) -> np.ndarray | None:
        """The step's coefficients for the compiled kernels (``Sampler.kernel_coefficients``).

        (a_k, b_k, c_k) = (e^h, e^h σ_t² − σ_t σ_{t′}, 0) per step.

        Parameters
        ----------
        times : array_like, shape (N + 1,)
            The decreasing grid.

        Returns
        -------
        numpy.ndarray, shape (N, 3), float64, or None
            None for a subclass (which runs on the generic path).
        """
        times = np.asarray(times, dtype=np.float64)
        h = _h(times)
        st, sn = _sigma(times[:-1]), _sigma(times[1:])
        e = np.exp(h)
        return _exact_type(self, DDIM,
                           np.stack([e, e * st * st - st * sn, np.zeros_like(h)], axis=1))

    def noise_scales(self, times: ArrayLike) -> np.ndarray:
        """c_k = 0 (deterministic) for every step.

        Parameters
        ----------
        times : array_like, shape (N + 1,)
            The decreasing grid.

        Returns
        -------
        numpy.ndarray, shape (N,), float64
        """
        return np.zeros(len(np.asarray(times)) - 1)


class Ancestral(Sampler):
    """Ancestral sampling: the DDPM posterior step (Ho et al. 2020, eqs. 6–7 and 15) in OU
    time. Between t′ < t the forward transition is x_t | x_{t′} ~ N(e^{−h} x_{t′}, β),
    β = 1 − e^{−2h}; the posterior q(x_{t′} | x_t, x_0) with x_0 replaced by
    x̂_0 = (x + σ_t² ŝ(x, t)) / e^{−t} has mean and variance

    x′ = e^h x + (e^h − e^{−h}) ŝ(x, t) + (σ_{t′}/σ_t) √β ξ.

    One score call, at t. The last step to t′ = 0 is deterministic (σ_0 = 0).

    Examples
    --------
    >>> from diffbounds.simulators.samplers import Ancestral
    >>> Ancestral().noise_scales([1.0, 0.0])  # the last step to t′ = 0 is deterministic
    array([0.])
    """

    name = "ancestral"

    def mean_map(self, x: np.ndarray, score: ScoreFn, times: np.ndarray,
                 k: int) -> np.ndarray:
        """m_k(x) = e^h x + (e^h − e^{−h}) ŝ(x, t).

        Parameters
        ----------
        x : numpy.ndarray
            Points, any shape the score accepts.
        score : callable
            ``score(y, s)``; called once, at t = times[k].
        times : numpy.ndarray, shape (N + 1,)
            The decreasing grid; h = times[k] − times[k+1].
        k : int
            The step, 0 ≤ k < N.

        Returns
        -------
        numpy.ndarray
            m_k(x), the shape of ``x``.
        """
        t, _, h = _steps(times, k)
        return math.exp(h) * x + (2.0 * math.sinh(h)) * score(x, t)

    def kernel_coefficients(self, times: ArrayLike) -> np.ndarray | None:
        """The step's coefficients for the compiled kernels (``Sampler.kernel_coefficients``).

        (a_k, b_k, c_k) = (e^h, e^h − e^{−h}, (σ_{t′}/σ_t) √(1 − e^{−2h})) per step.

        Parameters
        ----------
        times : array_like, shape (N + 1,)
            The decreasing grid.

        Returns
        -------
        numpy.ndarray, shape (N, 3), float64, or None
            None for a subclass (which runs on the generic path).
        """
        h = _h(times)
        return _exact_type(self, Ancestral, np.stack([np.exp(h), 2.0 * np.sinh(h),
                                                      self.noise_scales(times)], axis=1))

    def noise_scales(self, times: ArrayLike) -> np.ndarray:
        """c_k = (σ_{t′}/σ_t) √(1 − e^{−2h}), 0 on a last step to t′ = 0 for every step.

        Parameters
        ----------
        times : array_like, shape (N + 1,)
            The decreasing grid.

        Returns
        -------
        numpy.ndarray, shape (N,), float64
        """
        times = np.asarray(times, dtype=np.float64)
        h = -np.diff(times)
        return _sigma(times[1:]) / _sigma(times[:-1]) * np.sqrt(-np.expm1(-2.0 * h))


class CallableSampler:
    """A user's step ``fn(x, score, t, t_next, noise) -> x_next`` (module docstring, contract).

    It runs under ``sample`` (the generic path) only: its step is not known to be of the
    Gaussian form, so it has no exact law (``gaussian_step`` is False).

    Parameters
    ----------
    fn : callable
        ``fn(x, score, t, t_next, noise)`` returning the (n, d) states at ``t_next`` from the
        (n, d) states ``x`` at ``t`` (floats), with ``score(y, s)`` and ``noise(r)`` as in the
        contract. The signature is checked by :meth:`check_signature` (``get_sampler`` calls
        it), not here.
    name : str, optional
        Name in reports; default ``fn.__name__`` (or "callable").

    Raises
    ------
    TypeError
        ``fn`` is not callable (the message names ``sampler``).

    Examples
    --------
    >>> import numpy as np
    >>> from diffbounds.simulators.samplers import CallableSampler
    >>> def drift_only(x, score, t, t_next, noise):
    ...     return x + (t - t_next) * (x + score(x, t))
    >>> smp = CallableSampler(drift_only)
    >>> smp
    CallableSampler('drift_only')
    >>> smp.step(np.array([[1.0]]), lambda y, s: -y, np.array([1.0, 0.5]), 0, None)
    array([[1.]])
    """

    gaussian_step = False
    deterministic = False

    def __init__(self, fn: Callable[..., Any], name: str | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"sampler: expected a built-in name, a Sampler or a callable, "
                            f"got {type(fn).__name__}")
        self.fn = fn
        self.name: str = cast(str, name or getattr(fn, "__name__", "callable"))

    def step(self, x: np.ndarray, score: ScoreFn, times: np.ndarray, k: int,
             noise: NoiseFn) -> np.ndarray:
        """Step k: ``fn(x, score, times[k], times[k+1], noise)`` (the times as floats).

        Parameters
        ----------
        x : numpy.ndarray, shape (n, d)
            States at ``times[k]``.
        score : callable
            ``score(y, s)``.
        times : numpy.ndarray, shape (N + 1,)
            The decreasing grid.
        k : int
            The step, 0 ≤ k < N.
        noise : callable
            ``noise(r)``: draw r of step k.

        Returns
        -------
        numpy.ndarray, shape (n, d)
            What ``fn`` returns (``run`` checks its shape).
        """
        return self.fn(x, score, float(times[k]), float(times[k + 1]), noise)

    def check_signature(self) -> None:
        """TypeError naming ``sampler`` unless ``fn`` accepts the contract's five arguments.

        A callable without an inspectable signature (a builtin) passes; it is checked when it
        runs.

        Raises
        ------
        TypeError
            ``fn`` cannot be called as ``fn(x, score, t, t_next, noise)``.

        Examples
        --------
        >>> from diffbounds.simulators.samplers import CallableSampler
        >>> smp = CallableSampler(lambda x, score: x, name="two_args")
        >>> smp.check_signature()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        TypeError: sampler: a step callable must accept (x, score, t, t_next, noise) ...
        """
        import inspect

        try:
            inspect.signature(self.fn).bind(None, None, 0.0, 0.0, None)
        except TypeError as exc:
            raise TypeError(f"sampler: a step callable must accept (x, score, t, t_next, noise) "
                            f"(module diffbounds.simulators.samplers); {self.name!r}: {exc}") \
                from None
        except ValueError:  # no signature available (a builtin): checked when it runs
            pass

    def __repr__(self) -> str:
        return f"CallableSampler({self.name!r})"


class StepRule(Protocol):
    """What ``get_sampler`` returns and ``run`` steps with: an object with the contract's
    ``step(x, score, times, k, noise) -> x_next`` (module docstring) and a ``name`` for
    reports (``run`` falls back to the type's name; ``claims.sampler_order`` reads it)."""

    name: str

    def step(self, x: np.ndarray, score: ScoreFn, times: np.ndarray, k: int,
             noise: NoiseFn) -> np.ndarray: ...


#: what ``sample(..., sampler=...)``, ``get_sampler`` and ``run`` accept: a built-in name, a
#: Sampler (or its class), an object with the contract's ``step``, a step callable, or None
#: (the default exponential integrator)
SamplerLike = str | Sampler | type[Sampler] | CallableSampler | StepRule | Callable[..., Any] | None


BUILTINS = {cls.name: cls for cls in (ExponentialIntegrator, EulerMaruyama, ProbabilityFlowEuler,
                                      ProbabilityFlowHeun, DDIM, Ancestral)}


def get_sampler(sampler: SamplerLike) -> StepRule:
    """Resolve ``sampler`` to an object with the contract's ``step`` (module docstring).

    Parameters
    ----------
    sampler : str, Sampler, type, object with ``step``, callable or None
        A built-in name (``BUILTINS``; a new instance), None (``ExponentialIntegrator()``), a
        :class:`Sampler` subclass (instantiated without arguments) or instance, a
        :class:`CallableSampler`, an object with a method ``step(x, score, times, k, noise)``
        of the contract (returned as is), or a plain callable
        ``step(x, score, t, t_next, noise)`` (wrapped in :class:`CallableSampler`, its
        signature checked).

    Returns
    -------
    Sampler, CallableSampler or the object itself
        Something with ``step(x, score, times, k, noise)``.

    Raises
    ------
    ValueError
        An unknown built-in name (the known ones are listed).
    TypeError
        Anything else that is not callable, or a callable that does not accept the
        contract's five arguments (both messages name ``sampler``).

    Examples
    --------
    >>> from diffbounds.simulators.samplers import get_sampler
    >>> get_sampler("ddim")
    DDIM()
    >>> get_sampler(None)
    ExponentialIntegrator()
    >>> get_sampler("heun")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: sampler: unknown built-in 'heun'; known: ['ancestral', 'ddim', ...]
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
        return cast(StepRule, sampler)
    wrapped = CallableSampler(cast(Callable[..., Any], sampler))
    wrapped.check_signature()
    return wrapped


def _name(obj) -> str:
    return str(getattr(obj, "name", type(obj).__name__))


def is_default(sampler: object) -> bool:
    """True when ``sampler`` means the built-in exponential integrator (``sample``'s own path).

    Parameters
    ----------
    sampler : object
        Anything ``sample`` accepts as ``sampler``: None, the name ``DEFAULT``, the class
        ``ExponentialIntegrator`` or an instance of exactly that class (a subclass is not the
        default: it may override the step).

    Returns
    -------
    bool

    Examples
    --------
    >>> from diffbounds.simulators.samplers import ExponentialIntegrator, is_default
    >>> is_default(None), is_default("exponential_integrator"), is_default("ddim")
    (True, True, False)
    >>> class Mine(ExponentialIntegrator):
    ...     pass
    >>> is_default(ExponentialIntegrator()), is_default(Mine())
    (True, False)
    """
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


def check_noise_scales(smp: Sampler, times: np.ndarray) -> np.ndarray:
    """``smp.noise_scales(times)``, checked before any work: N = len(times) − 1 finite values
    ≥ 0 (the same rule as ``law1d.output_law``).

    Parameters
    ----------
    smp : Sampler
        A Gaussian-step sampler.
    times : numpy.ndarray, shape (N + 1,)
        The decreasing grid.

    Returns
    -------
    numpy.ndarray, shape (N,), float64
        The noise scales c_k.

    Raises
    ------
    TypeError
        ``smp`` does not implement ``mean_map``/``noise_scales`` (a bare ``Sampler`` subclass).
    ValueError
        The scales have the wrong shape, or are negative or not finite.

    Examples
    --------
    >>> check_noise_scales(EulerMaruyama(), np.array([1.0, 0.5, 0.0]))
    array([1., 1.])
    """
    try:
        c = np.asarray(smp.noise_scales(times), dtype=np.float64)
    except NotImplementedError:
        raise TypeError(f"sampler: {type(smp).__name__} must implement mean_map(x, score, "
                        "times, k) and noise_scales(times) (simulators.samplers.Sampler)") \
            from None
    n_steps = len(times) - 1
    if c.shape != (n_steps,) or not np.all(np.isfinite(c)) or np.any(c < 0):
        raise ValueError(f"sampler: {type(smp).__name__}.noise_scales must return {n_steps} "
                         f"finite values >= 0 (one per step), got shape {c.shape}")
    return c


def run(sampler: SamplerLike, model: Callable[[np.ndarray, float], ArrayLike], n: int, d: int,
        times: ArrayLike, *, seed: int = 0, dtype: DTypeLike = "float64",
        x_init: ArrayLike | None = None,
        callback: Callable[[int, float, np.ndarray], object] | None = None,
        progress: bool = False, particle_offset: int = 0) -> np.ndarray:
    """The generic path: run ``sampler``'s step on the whole batch in NumPy.

    Called by ``simulators.sample(..., sampler=...)`` after it validated its arguments (use
    ``sample``; this is its back end: apart from ``n`` and ``sampler`` nothing is checked
    here). The state is float64 throughout and rounded to ``dtype`` after every step (so
    float32 runs store float32 states, as the kernels do).

    Parameters
    ----------
    sampler : str, Sampler, callable or None
        Anything :func:`get_sampler` resolves.
    model : callable
        ``model(y, t)``: the score at (n, d) points ``y`` and time ``t``, of ``y``'s shape and
        finite (checked at every call).
    n : int
        Number of particles (≥ 1).
    d : int
        Dimension.
    times : array_like, shape (N + 1,)
        Decreasing diffusion times (not checked here; ``sample`` checks them).
    seed : int
        Counter-based RNG seed in [0, 2⁶⁴) (``noise(r)`` of the contract; the N(0, I) start).
    dtype : "float32" or "float64"
        Precision the states are rounded to after every step, and of the result.
    x_init : array_like, shape (n, d), optional
        Start instead of ``sampler.initial_noise(seed, n, d, dtype, particle_offset)``.
    callback : callable, optional
        ``callback(k, t, x)`` after step k, with ``t = times[k+1]`` and the states as
        ``dtype``.
    progress : bool
        Show a tqdm bar over steps (no-op without tqdm).
    particle_offset : int
        Index of the first particle in the counter-based noise (rows are particles
        ``particle_offset + i``).

    Returns
    -------
    numpy.ndarray, shape (n, d), of ``dtype``
        The states at ``times[-1]``.

    Raises
    ------
    ValueError
        The score or the sampler's step returns a wrong shape; the score returns non-finite
        values (the step and time are named); ``n`` < 1; an unknown built-in name.
    TypeError
        ``n`` is not an integer; ``sampler`` is not a sampler (``get_sampler``).
    FloatingPointError
        Particles ended non-finite.

    Examples
    --------
    The exponential integrator on this path reproduces ``sample``'s NumPy backend bit for bit
    (float64, callable score):

    >>> import numpy as np
    >>> from diffbounds.simulators import sample
    >>> from diffbounds.simulators.samplers import run
    >>> score = lambda y, t: -y  # N(0, 1) data: ŝ(y, t) = −y at every t
    >>> times = np.array([1.0, 0.5, 0.1])
    >>> x = run("exponential_integrator", score, 3, 2, times, seed=4)
    >>> bool(np.array_equal(x, sample(score, 3, times, seed=4, backend="numpy", dim=2)))
    True
    """
    from diffbounds.simulators.sampler import initial_noise

    step_obj = get_sampler(sampler)
    n = check_int("n", n, 1)
    times = np.asarray(times, dtype=np.float64)
    if isinstance(step_obj, Sampler):
        check_noise_scales(step_obj, times)
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
