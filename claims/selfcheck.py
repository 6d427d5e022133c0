"""Core self-checks of the simulation layer (what ``diffbounds verify`` runs before claims).

Each check compares a computation with an oracle — a closed form, an independent implementation
or an exact identity — and returns a record with the measured discrepancy and its tolerance.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from diffbounds.simulators import GaussianMixture, rng, sample, schedule
from diffbounds.simulators.oracles import gaussian_chain_moments


@dataclass
class CheckResult:
    """One self-check's outcome.

    Attributes
    ----------
    name : str
        The check's key in ``CHECKS``.
    oracle : str
        What it is compared with.
    measured : float
        The measured discrepancy (a p-value for "rng_ks").
    tolerance : float
        Its limit (a lower limit for "rng_ks", an upper one otherwise).
    holds : bool
        Whether the measurement is within the tolerance.
    seconds : float
        Wall time.
    """

    name: str
    oracle: str
    measured: float
    tolerance: float
    holds: bool
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict.

        Returns
        -------
        dict
        """
        return asdict(self)


def _standard_mixture():
    r = np.random.default_rng(0)
    return GaussianMixture(np.full(4, 0.25), 3.0 * r.standard_normal((4, 3)), np.full(4, 0.25))


def check_score_fd() -> tuple[str, str, float, float]:
    """Score equals the central finite-difference gradient of log_prob (q_t at t = 0.3).

    Returns
    -------
    (str, str, float, float)
        Label, oracle, measured discrepancy and tolerance.
    """
    q = _standard_mixture().at(0.3)
    x = np.random.default_rng(1).normal(scale=2.0, size=(50, q.dim))
    h = 1e-5
    fd = np.stack([(q.log_prob(x + h * e) - q.log_prob(x - h * e)) / (2 * h)
                   for e in np.eye(q.dim)], axis=1)
    err = np.max(np.abs(fd - q.score(x)) / (1.0 + np.abs(fd)))
    return "score = grad log_prob", "central finite differences (h=1e-5)", err, 1e-6


def check_single_component() -> tuple[str, str, float, float]:
    """A one-component mixture's score is the Gaussian score −Σ⁻¹(x − μ).

    Returns
    -------
    (str, str, float, float)
        Label, oracle, measured discrepancy and tolerance.
    """
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, 0.3], [0.0, 0.3, 0.5]])
    mu = np.array([1.0, -2.0, 0.5])
    g = GaussianMixture([1.0], mu[None], cov[None])
    x = np.random.default_rng(2).normal(size=(20, 3))
    err = np.max(np.abs(g.score(x) + np.linalg.solve(cov, (x - mu).T).T))
    return "1-component score", "closed form -inv(S)(x-mu)", err, 1e-12


def check_rng_ks() -> tuple[str, str, float, float]:
    """Counter-based normals are N(0, 1): KS p-value of 200000 draws (fixed seed).

    Returns
    -------
    (str, str, float, float)
        Label, oracle, the KS p-value and its lower limit.
    """
    z = rng.normals(0, 25000, 3, 8).ravel()
    p = stats.kstest(z, "norm").pvalue
    return "rng ~ N(0,1)", "Kolmogorov-Smirnov p-value >= 1e-3", p, 1e-3


def check_gaussian_recursion() -> tuple[str, str, float, float]:
    """Sampler output moments for a Gaussian target equal the linear recursion's (cpu backend).

    Returns
    -------
    (str, str, float, float)
        Label, oracle, measured discrepancy and tolerance.
    """
    mu = np.array([1.0, -1.0])
    cov = np.array([[1.5, 0.4], [0.4, 0.6]])
    times = schedule.exponential(4.0, 1e-2, 40)
    n = 40000
    x = sample(GaussianMixture([1.0], mu[None], cov[None]), n, times, seed=3, backend="cpu")
    m, C = gaussian_chain_moments(mu, cov, times)
    # Standardised errors: mean error / (sd/sqrt(n)); cov error / sqrt((C_ii C_jj + C_ij^2)/n).
    z_mean = np.abs(x.mean(0) - m) / np.sqrt(np.diag(C) / n)
    se_cov = np.sqrt((np.outer(np.diag(C), np.diag(C)) + C**2) / n)
    z_cov = np.abs(np.cov(x.T) - C) / se_cov
    return ("gaussian recursion", "closed-form mean/cov, max |z| over entries",
            float(max(z_mean.max(), z_cov.max())), 5.0)


def check_cross_backend() -> tuple[str, str, float, float]:
    """numpy and Numba CPU backends agree (same seed) to 1e-10 in float64.

    Returns
    -------
    (str, str, float, float)
        Label, oracle, measured discrepancy and tolerance.
    """
    mix = _standard_mixture()
    times = schedule.exponential(5.0, 1e-3, 30)
    a = sample(mix, 300, times, seed=4, backend="numpy")
    b = sample(mix, 300, times, seed=4, backend="cpu")
    return "numpy == cpu", "max |difference|, float64", float(np.max(np.abs(a - b))), 1e-10


def check_batch_invariance() -> tuple[str, str, float, float]:
    """Particle i's path depends only on (seed, i): the first 50 of 200 equal a run of 50.

    Returns
    -------
    (str, str, float, float)
        Label, oracle, measured discrepancy and tolerance.
    """
    mix = _standard_mixture()
    times = schedule.exponential(5.0, 1e-3, 20)
    a = sample(mix, 200, times, seed=5)[:50]
    b = sample(mix, 50, times, seed=5)
    return "batch-size invariance", "exact equality", float(np.max(np.abs(a - b))), 0.0


def check_float32() -> tuple[str, str, float, float]:
    """float32 agrees with float64 within float32 round-off (relative to the sample scale).

    Returns
    -------
    (str, str, float, float)
        Label, oracle, measured discrepancy and tolerance.
    """
    mix = _standard_mixture()
    times = schedule.exponential(5.0, 1e-3, 30)
    a = sample(mix, 300, times, seed=6, dtype="float64")
    b = sample(mix, 300, times, seed=6, dtype="float32")
    rel = float(np.max(np.abs(a - b)) / np.max(np.abs(a)))
    return "float32 ~ float64", "max |diff| / max |x|", rel, 1e-4


CHECKS = {
    "score_fd": check_score_fd,
    "single_component": check_single_component,
    "rng_ks": check_rng_ks,
    "gaussian_recursion": check_gaussian_recursion,
    "cross_backend": check_cross_backend,
    "batch_invariance": check_batch_invariance,
    "float32": check_float32,
}


def run_checks(only: Iterable[str] | None = None,
               progress: Callable[[str], Any] | None = None) -> list[CheckResult]:
    """Run the self-checks ``only`` (default: all); ``progress(message)`` is called before each.

    Each check of ``CHECKS`` returns (label, oracle, measured, tolerance).

    Parameters
    ----------
    only : iterable of str or None
        Keys of ``CHECKS``; None for all.
    progress : callable or None
        Called with one line before each check.

    Returns
    -------
    list of CheckResult
        In the order run.

    Raises
    ------
    ValueError
        An unknown check name.

    Examples
    --------
    >>> [r.holds for r in run_checks(only=["single_component", "rng_ks"])]
    [True, True]
    """
    names = list(CHECKS) if only is None else list(only)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise ValueError(f"only: unknown check(s) {unknown}; known: {list(CHECKS)}")
    out = []
    for i, name in enumerate(names):
        if progress:
            progress(f"  self-check {i + 1}/{len(names)}: {name} ...")
        t0 = time.perf_counter()
        label, oracle, measured, tol = CHECKS[name]()
        # rng_ks is a lower bound (p-value), every other check an upper bound on a discrepancy.
        holds = measured >= tol if name == "rng_ks" else measured <= tol
        out.append(CheckResult(name, oracle, float(measured), float(tol), bool(holds),
                               time.perf_counter() - t0))
    return out
