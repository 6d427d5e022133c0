"""MEASUREMENT: Gaussian-mixture diffusions with exact scores, schedules, counter-based RNG,
samplers on NumPy / Numba CPU / Numba CUDA, score errors and metrics.

Imports no other package of ours. ``numba`` is imported only under ``simulators.kernels``.
"""

from diffbounds.simulators import metrics, rng, samplers, schedule
from diffbounds.simulators.mixture import GaussianMixture
from diffbounds.simulators.sampler import integrator_coefficients, sample
from diffbounds.simulators.score_errors import (
    PerturbedScore,
    WrongMixtureScore,
    mixture_score,
    perturbed_score,
    uniform_error,
)
from diffbounds.simulators.scores import CallableScore, KernelScore, MixtureScore, as_score_model

__all__ = [
    "GaussianMixture",
    "sample",
    "integrator_coefficients",
    "KernelScore",
    "MixtureScore",
    "CallableScore",
    "as_score_model",
    "perturbed_score",
    "uniform_error",
    "mixture_score",
    "PerturbedScore",
    "WrongMixtureScore",
    "schedule",
    "rng",
    "metrics",
    "samplers",
]
