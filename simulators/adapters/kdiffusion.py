"""Run k-diffusion-style sampler functions against an exact (or perturbed) mixture score.

Contract (k-diffusion's ``k_diffusion.sampling``): ``sample_x(model, x, sigmas, extra_args=None,
callback=None, disable=None, **kw)`` integrates from ``sigmas[0]`` down to ``sigmas[-1]`` in the
variance-exploding parametrisation x_VE = x₀ + σ ε, with ``model(x, sigma)`` a denoiser
D(x, σ) ≈ E[x₀ | x_σ = x] and ``sigma`` a per-particle tensor (shape (n,)).

Mapping to this project's OU time (Karras et al. 2022, Table 1, VP row): x_VE = e^{τ} x_VP,
σ = √(e^{2τ} − 1), i.e. ᾱ = e^{−2τ} = 1/(1 + σ²). The VE marginal's score is
∇ log p_σ(x) = e^{−τ} s_τ(e^{−τ} x), so the exact denoiser is

    D(x, σ) = x + σ² e^{−τ} s_τ(e^{−τ} x),   τ = ½ log(1 + σ²).

``run_kdiffusion`` starts from this project's counter-based N(0, I) (or ``x_init``) in VP scale,
multiplies by e^{τ₀} = √(1 + σ₀²), runs the sampler and returns the VP state at ``sigmas[-1]``
(x_VE / √(1 + σ²); the data law itself when ``sigmas[-1]`` = 0).

The functions need only torch; the k-diffusion package itself is optional (extra
``kdiffusion``): ``k_diffusion.sampling`` imports its whole package (torchvision, scikit-image,
clean-fid, ... through ``k_diffusion/__init__``), so tests load its ``sampling.py`` with a
minimal ``k_diffusion.utils`` when the full package does not import (see
``tests/simulators/test_adapters_kdiffusion.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from diffbounds.simulators.adapters import require

__all__ = ["sigmas_from_times", "times_from_sigmas", "exact_denoiser", "run_kdiffusion"]


def _torch():
    return require("torch", "kdiffusion")


def sigmas_from_times(times: ArrayLike) -> np.ndarray:
    """σ = √(e^{2τ} − 1) for OU times τ ≥ 0 (float64).

    Parameters
    ----------
    times : array_like
        OU times τ, finite and >= 0, any shape.

    Returns
    -------
    numpy.ndarray
        σ, the shape of ``times``.

    Raises
    ------
    ValueError
        A time that is negative or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> sigmas_from_times([0.0, 0.5 * np.log(2.0)])
    array([0., 1.])
    """
    t = np.asarray(times, dtype=np.float64)
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise ValueError("times: must be finite and >= 0")
    return np.sqrt(np.expm1(2.0 * t))


def times_from_sigmas(sigmas: ArrayLike) -> np.ndarray:
    """τ = ½ log(1 + σ²) (float64), the inverse of :func:`sigmas_from_times`.

    Parameters
    ----------
    sigmas : array_like
        Noise levels σ, finite and >= 0, any shape.

    Returns
    -------
    numpy.ndarray
        τ, the shape of ``sigmas``.

    Raises
    ------
    ValueError
        A σ that is negative or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.allclose(times_from_sigmas(sigmas_from_times([0.1, 2.0])), [0.1, 2.0]))
    True
    """
    s = np.asarray(sigmas, dtype=np.float64)
    if np.any(~np.isfinite(s)) or np.any(s < 0):
        raise ValueError("sigmas: must be finite and >= 0")
    return 0.5 * np.log1p(s * s)


def exact_denoiser(score: Any) -> Callable[..., Any]:
    """``model(x, sigma)`` (torch in, torch float64 out) from a score model (module docstring).

    The returned function raises ValueError when ``sigma`` differs between particles (the
    score is evaluated at one time per call) or is not finite.

    Parameters
    ----------
    score : GaussianMixture, score model or callable
        ``f(x, t) -> (n, d)`` in NumPy.

    Returns
    -------
    callable
        ``denoise(x, sigma, **_)``: D(x, σ) = x + σ² e^{−τ} s(e^{−τ} x, τ), τ = ½ log(1 + σ²).

    Raises
    ------
    ImportError
        torch missing (names the extra).
    """
    torch = _torch()
    from diffbounds.simulators.scores import as_score_model

    model = as_score_model(score)

    def denoise(x, sigma, **_):
        sig = np.atleast_1d(np.asarray(torch.as_tensor(sigma).double().cpu().numpy()))
        if not np.all(np.isfinite(sig)) or np.ptp(sig) > 0:
            raise ValueError("sigma: the exact denoiser needs one finite sigma for all particles")
        s = float(sig[0])
        tau = 0.5 * math.log1p(s * s)
        shrink = math.exp(-tau)
        xv = x.double().cpu().numpy()
        sc = np.asarray(model(shrink * xv, tau), dtype=np.float64)
        if sc.shape != xv.shape or not np.all(np.isfinite(sc)):
            raise ValueError(f"score: wrong shape or non-finite values at tau = {tau}")
        return torch.from_numpy(xv + s * s * shrink * sc)

    return denoise


def run_kdiffusion(sample_fn: Callable[..., Any], score: Any, n: int, sigmas: ArrayLike, *,
                   seed: int = 0, dim: int | None = None, x_init: ArrayLike | None = None,
                   **kw: Any) -> np.ndarray:
    """Run a k-diffusion-style ``sample_fn`` on the exact denoiser of ``score``.

    Parameters
    ----------
    sample_fn : callable
        ``sample_fn(model, x, sigmas, extra_args=None, callback=None, disable=None, **kw)``.
    score : GaussianMixture, score model or callable
        ``f(x, t) -> (n, d)`` in NumPy.
    n : int
        Particles, >= 1.
    sigmas : array (K + 1,)
        Decreasing noise levels (last may be 0); ``sigmas_from_times(times)`` maps a
        project schedule.
    seed : int
        Counter-based start (``sampler.initial_noise``); noise inside stochastic samplers is
        torch's global generator (seeded with ``seed`` here).
    dim : int, optional
        For a plain callable without ``dim`` and without ``x_init``.
    x_init : array (n, d), optional
        VP-scale start (e.g. quantile nodes).
    **kw
        Passed to ``sample_fn``.

    Returns
    -------
    numpy.ndarray
        Shape (n, d), float64: the VP state at ``sigmas[-1]``.

    Raises
    ------
    ImportError
        torch missing (names the extra).
    ValueError, TypeError
        Bad arguments (named).
    """
    torch = _torch()
    from diffbounds.simulators._validate import check_int
    from diffbounds.simulators.sampler import initial_noise
    from diffbounds.simulators.scores import as_score_model

    if not callable(sample_fn):
        raise TypeError("sample_fn: expected a k-diffusion-style sampler function")
    n = check_int("n", n, 1)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    sig = np.asarray(sigmas, dtype=np.float64)
    if sig.ndim != 1 or sig.size < 2 or np.any(~np.isfinite(sig)) or np.any(sig < 0) or \
            np.any(np.diff(sig) >= 0):
        raise ValueError("sigmas: must be a strictly decreasing 1-D array of >= 2 finite "
                         "values >= 0")
    model = as_score_model(score)
    if x_init is not None:
        x0 = np.asarray(x_init, dtype=np.float64)
        if x0.ndim != 2 or x0.shape[0] != n or not np.all(np.isfinite(x0)):
            raise ValueError(f"x_init: expected a finite ({n}, d) array, got {x0.shape}")
    else:
        d = getattr(model, "dim", None) or dim
        if d is None:
            raise ValueError("dim: a plain callable score needs dim= (or x_init)")
        x0 = initial_noise(seed, n, int(d))
    torch.manual_seed(seed)
    x = torch.from_numpy(x0 * math.sqrt(1.0 + sig[0] ** 2))
    out = sample_fn(exact_denoiser(model), x, torch.from_numpy(sig), disable=True, **kw)
    y = out.double().cpu().numpy() / math.sqrt(1.0 + sig[-1] ** 2)
    if not np.all(np.isfinite(y)):
        raise ValueError("sample_fn: returned non-finite states")
    return y
