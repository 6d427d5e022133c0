"""DDPM with the exponential integrator, on three backends (design.md, "Conventions").

Step k uses the score at ``times[k]`` and moves to ``times[k+1]``:
y ← e^{h} y + 2(e^{h} − 1) ŝ(y, times[k]) + √(e^{2h} − 1) ξ,  h = times[k] − times[k+1],
started from N(0, I) (counter-based normals at the reserved step index ``INIT_STEP``) unless
``x_init`` is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from diffbounds.simulators._progress import progress_bar
from diffbounds.simulators._validate import check_int, check_seed
from diffbounds.simulators.kernels import BACKENDS, get_backend
from diffbounds.simulators.kernels._math import is_two_stage
from diffbounds.simulators.scores import KernelScore, as_score_model

if TYPE_CHECKING:
    from diffbounds.simulators.mixture import GaussianMixture
    from diffbounds.simulators.samplers import SamplerLike

_DTYPES = ("float32", "float64")
# Step index used for the initial N(0, I) draw. Steps of the chain use 0..N−1, so the initial
# draw gets its own counter that no chain step can reach.
INIT_STEP = 2**63


def integrator_coefficients(times: ArrayLike) -> np.ndarray:
    """The exponential integrator's step coefficients (e^h, 2(e^h − 1), √(e^{2h} − 1)).

    Step k of the paper's DDPM sampler (eq. (13), App. B; paper-notes §2.4) is
    y ← a_k y + b_k ŝ(y, times[k]) + c_k ξ with h = times[k] − times[k+1] and
    (a_k, b_k, c_k) = (e^h, 2(e^h − 1), √(e^{2h} − 1)), computed with ``expm1`` (accurate for
    small h). No validation: a grid that is not decreasing gives h ≤ 0 and NaN in c_k (use
    ``sample``, which checks ``times``).

    Parameters
    ----------
    times : array_like, shape (N + 1,)
        Diffusion times ``times[0] = T > ... > times[N] = t_stop`` (converted to float64).

    Returns
    -------
    numpy.ndarray, shape (N, 3), float64
        Row k is (a_k, b_k, c_k).

    Examples
    --------
    >>> import numpy as np
    >>> from diffbounds.simulators.sampler import integrator_coefficients
    >>> a, b, c = integrator_coefficients([1.0, 0.0])[0]  # one step, h = 1
    >>> bool(np.isclose(a, np.e) and np.isclose(b, 2 * (np.e - 1))
    ...      and np.isclose(c, np.sqrt(np.e ** 2 - 1)))
    True
    """
    h = -np.diff(np.asarray(times, dtype=np.float64))
    return np.stack([np.exp(h), 2.0 * np.expm1(h), np.sqrt(np.expm1(2.0 * h))], axis=1)


def _check_times(times) -> np.ndarray:
    try:
        times = np.asarray(times, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"times: expected a 1-D array of floats ({exc})") from None
    if times.ndim != 1 or times.size < 2:
        raise ValueError(f"times: must be 1-D with at least 2 entries, got shape {times.shape}")
    if not np.all(np.isfinite(times)):
        raise ValueError("times: must be finite")
    if np.any(np.diff(times) >= 0):
        raise ValueError("times: must be strictly decreasing (times[0] = T > ... > t_stop)")
    if times[-1] < 0:
        raise ValueError(f"times: diffusion times must be >= 0, got t_stop = {times[-1]}")
    return times


def _max_step(dtype: str) -> float:
    """The largest step h whose integrator coefficients are finite in ``dtype``: the binding
    one is √(e^{2h} − 1) (computed as √expm1(2h) in float64: h ≤ log(max)/2) or 2(e^h − 1)
    (h ≤ log(max/2)), whichever is smaller."""
    big = float(np.finfo(dtype).max)
    return min(0.5 * float(np.log(np.finfo(np.float64).max)), float(np.log(big / 2.0)))


def _check_step_sizes(times: np.ndarray, dtype: str) -> None:
    """ValueError naming ``times`` when a step's coefficients overflow ``dtype`` (before any
    work starts)."""
    with np.errstate(over="ignore", invalid="ignore"):
        coefs = integrator_coefficients(times)
    bad = ~np.isfinite(coefs).all(axis=1) | (np.abs(coefs) > np.finfo(dtype).max).any(axis=1)
    if bad.any():
        k = int(np.argmax(bad))
        h = float(times[k] - times[k + 1])
        raise ValueError(
            f"times: step {k} (h = {h:g}, from t = {times[k]:g} to {times[k + 1]:g}) has "
            f"integrator coefficients e^h, 2(e^h - 1), sqrt(e^(2h) - 1) that overflow {dtype}; "
            f"every step must be at most {_max_step(dtype):.4g} in {dtype} (split it into "
            "smaller steps)")


def initial_noise(seed: int, n: int, d: int, dtype: DTypeLike = "float64",
                  particle_offset: int = 0) -> np.ndarray:
    """The N(0, I) start of the chain: counter-based normals at step index ``INIT_STEP``.

    Entry (i, j) is the counter-based standard normal of (``seed``, particle
    ``particle_offset + i``, step ``INIT_STEP``, coordinate j) (``simulators.rng``), so a
    particle's start does not depend on n or on which other particles are drawn with it. This
    is the start ``sample`` and ``samplers.run`` use when no ``x_init`` is given. No
    validation (``sample`` checks its arguments first).

    Parameters
    ----------
    seed : int
        Counter-based RNG seed, in [0, 2⁶⁴).
    n : int
        Number of particles (rows).
    d : int
        Dimension (columns).
    dtype : "float32" or "float64"
        Precision of the draws.
    particle_offset : int
        Index of the first particle (row 0 is particle ``particle_offset``).

    Returns
    -------
    numpy.ndarray, shape (n, d), of ``dtype``
        The standard normal start.

    Examples
    --------
    >>> import numpy as np
    >>> from diffbounds.simulators.sampler import initial_noise
    >>> x = initial_noise(0, 3, 2)
    >>> x.shape, x.dtype
    ((3, 2), dtype('float64'))
    >>> bool(np.array_equal(x[1:], initial_noise(0, 2, 2, particle_offset=1)))
    True
    """
    from diffbounds.simulators.kernels.numpy_backend import normals

    return normals(seed, n, INIT_STEP, d, particle_offset=particle_offset, dtype=dtype)


def sample(score: GaussianMixture | KernelScore | Callable[..., Any], n: int, times: ArrayLike,
           *, seed: int = 0, backend: str = "cpu", dtype: DTypeLike = "float64",
           x_init: ArrayLike | None = None,
           callback: Callable[[int, float, np.ndarray], object] | None = None,
           progress: bool = False, dim: int | None = None,
           sampler: SamplerLike = "exponential_integrator") -> np.ndarray:
    """Run the DDPM sampler and return the (n, d) array of final states at ``times[-1]``.

    The default step is the paper's DDPM discretisation, the exponential integrator of eq. (13)
    and App. B (score frozen at the left end of each step; module docstring, paper-notes §2.4);
    ``sampler`` selects another step rule (``simulators.samplers``).

    Parameters
    ----------
    score : GaussianMixture, KernelScore or callable ``f(x, t) -> (n, d)``
        A mixture means its exact score (evaluated inside the kernel). A callable is evaluated
        once per step on the whole batch in float64 (the generic path).
    n : int
        Number of particles (≥ 1).
    times : array_like, shape (N + 1,)
        Strictly decreasing diffusion times ``T = times[0] > ... > times[-1] = t_stop ≥ 0``.
    seed : int
        The counter-based RNG seed, an integer in [0, 2⁶⁴) (``None`` is refused). Results
        are bitwise identical across thread counts, batch sizes and CUDA launch grids within
        one backend and dtype; across backends they agree within 1e-10 · max(1, max|x|) in
        float64 and 1e-3 · max(1, max|x|) per particle in float32 (not bitwise).
    backend : "numpy" (reference), "cpu" (Numba) or "cuda" (numba-cuda)
        Where the steps run.
    dtype : "float32" or "float64" (or the NumPy dtype)
        Precision of the states (and of the kernels' arithmetic).
    x_init : array_like, shape (n, d), optional
        Finite start instead of N(0, I) (``initial_noise``).
    callback : callable, optional
        ``callback(k, t, x)`` called after step k with ``t = times[k+1]`` and the current
        states ``x`` (a copy, float64 or float32 as ``dtype``); its return value is ignored.
    progress : bool
        Show a tqdm bar over steps (no-op without tqdm).
    dim : int, optional
        The dimension, needed only for a plain callable without a ``dim`` attribute and
        without ``x_init``.
    sampler : str, samplers.Sampler or callable
        "exponential_integrator" (default), another built-in name of
        ``simulators.samplers.BUILTINS``, a ``samplers.Sampler`` or a callable
        ``step(x, score, t, t_next, noise)`` (the contract in ``simulators.samplers``). The
        built-ins are compiled into the step math of every backend (their
        ``kernel_coefficients``): with a mixture or kernel score they run inside the kernels
        of ``backend``; with a plain callable score the one-stage built-ins run the score in
        Python and the update in the backend's kernel (as the default does), and the
        two-stage ``pf_heun`` runs on the generic path. Anything else (a user's ``Sampler``
        subclass or callable) runs on the generic vectorized NumPy path (``samplers.run``)
        whatever ``backend`` says, the score called as ``model(x, t)``.

    Returns
    -------
    numpy.ndarray, shape (n, d), of ``dtype``
        The states at ``times[-1]``, one row per particle.

    Raises
    ------
    TypeError, ValueError
        Bad arguments, naming them, before any work; ``times`` whose step coefficients
        e^h, 2(e^h − 1), √(e^{2h} − 1) overflow ``dtype`` (h > 354.9 in float64, > 88.03 in
        float32). ValueError also during the run when a callable score returns a wrong shape
        or non-finite values (the step is named).
    FloatingPointError
        Particles that ended non-finite.

    Examples
    --------
    N(0, 1) data is stationary under the OU process (every q_t is N(0, 1)); three particles,
    two steps, on the NumPy reference backend:

    >>> import numpy as np
    >>> from diffbounds.simulators import GaussianMixture, sample
    >>> data = GaussianMixture([1.0], [[0.0]], [1.0])
    >>> x = sample(data, 3, [1.0, 0.5, 0.1], seed=0, backend="numpy")
    >>> x.shape, x.dtype
    ((3, 1), dtype('float64'))
    >>> bool(np.array_equal(x, sample(data, 3, [1.0, 0.5, 0.1], seed=0, backend="numpy")))
    True
    >>> sample(data, 3, [1.0, 0.5, 0.1], backend="numpy", sampler="pf_euler").shape
    (3, 1)
    >>> sample(data, 3, [0.5, 1.0], backend="numpy")
    Traceback (most recent call last):
    ...
    ValueError: times: must be strictly decreasing (times[0] = T > ... > t_stop)
    """
    from diffbounds.simulators import samplers as _samplers

    generic = None if _samplers.is_default(sampler) else _samplers.get_sampler(sampler)
    model = as_score_model(score)
    coefs_fn = getattr(generic, "kernel_coefficients", None)
    n = check_int("n", n, 1)
    times = _check_times(times)
    seed = check_seed(seed)
    if backend not in BACKENDS:
        raise ValueError(f"backend: must be one of {BACKENDS}, got {backend!r}")
    dtype = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if dtype not in _DTYPES:
        raise ValueError(f"dtype: must be one of {_DTYPES}, got {dtype!r}")
    _check_step_sizes(times, dtype)
    if callback is not None and not callable(callback):
        raise TypeError("callback: must be callable")
    d = getattr(model, "dim", None) or dim
    if dim is not None and d is not None and dim != d:
        raise ValueError(f"dim: {dim!r} does not match the score model's dimension {d}")
    if x_init is not None:
        x_init = np.asarray(x_init)
        if x_init.ndim != 2 or x_init.shape[0] != n or (d is not None and x_init.shape[1] != d):
            raise ValueError(f"x_init: expected shape ({n}, {d}), got {x_init.shape}")
        if not np.all(np.isfinite(x_init)):
            raise ValueError("x_init: must be finite")
        d = x_init.shape[1]
    if d is None:
        raise ValueError("dim: a plain callable score needs dim= (or x_init) to know d")
    d = check_int("dim", d, 1)
    coefs = integrator_coefficients(times) if generic is None else \
        (coefs_fn(times) if coefs_fn is not None else None)
    program = None  # (family, params) of a two-stage step: its score is also needed at t_{k+1}
    if coefs is not None and is_two_stage(coefs):
        program = _two_stage_program(model, times, dtype)
        if program is None:
            coefs = None
    if coefs is not None and not np.all(np.isfinite(coefs)):
        raise ValueError(f"times: the {getattr(generic, 'name', 'sampler')} step's "
                         "coefficients are not finite on this grid (steps too large)")
    if coefs is None:
        return _samplers.run(generic, model, n, d, times, seed=seed, dtype=dtype, x_init=x_init,
                             callback=callback, progress=progress)

    impl = get_backend(backend)
    # the N(0, I) start: compiled where the backend has its own normals (same counters)
    X = (np.array(x_init, dtype=dtype) if x_init is not None
         else impl.normals(seed, n, INIT_STEP, d, dtype=dtype) if hasattr(impl, "normals")
         else initial_noise(seed, n, d, dtype=dtype))
    n_steps = len(times) - 1
    per_step = callback is not None or progress
    if isinstance(model, KernelScore):
        family, params = program if program is not None else model.kernel_program(times, dtype)
        X = impl.to_device(X) if hasattr(impl, "to_device") else X
        with progress_bar(progress, n_steps, desc=f"sample[{backend}]") as bar:
            chunks = [(k, k + 1) for k in range(n_steps)] if per_step else [(0, n_steps)]
            for k0, k1 in chunks:
                impl.run_program(family, params, X, k0, k1, seed, coefs)
                bar.update(k1 - k0)
                if callback is not None:
                    callback(k1 - 1, float(times[k1]), _host(impl, X))
        return _finite(_host(impl, X), backend, dtype)

    with progress_bar(progress, n_steps, desc=f"sample[{backend}]") as bar:
        for k in range(n_steps):
            host = X.astype(np.float64)
            S = np.asarray(model(host, float(times[k])), dtype=np.float64)
            if S.shape != (n, d):
                raise ValueError(f"score: returned shape {S.shape}, expected {(n, d)} (step {k})")
            if not np.all(np.isfinite(S)):
                raise ValueError(f"score: returned non-finite values at step {k} "
                                 f"(t = {times[k]})")
            impl.run_update(X, S.astype(dtype), k, seed, coefs)
            bar.update(1)
            if callback is not None:
                callback(k, float(times[k + 1]), X.copy())
    return _finite(X, backend, dtype)


def _two_stage_program(model, times, dtype):
    """(family, params) at all of ``times[0..N]`` for a two-stage step (its second score
    evaluation of step k is at t_{k+1}), or None when the model has no kernel program there (a
    plain callable, or a model that refuses t_N: the step then runs on the generic path)."""
    if not isinstance(model, KernelScore):
        return None
    # kernel_program(T) evaluates at T[:-1]: append a time below t_N that is never evaluated
    extended = np.append(times, 0.5 * times[-1])
    try:
        return model.kernel_program(extended, dtype)
    except ValueError:
        return None


def _finite(X, backend, dtype):
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise FloatingPointError(
            f"sample: {int(bad.sum())} of {len(X)} particles ended non-finite "
            f"(backend={backend!r}, dtype={dtype!r}); the chain overflowed — "
            + ("check the score model and schedule, or use float64" if dtype == "float32"
               else "check the score model and the schedule's step sizes"))
    return X


def _host(impl, X):
    return impl.to_host(X) if hasattr(impl, "to_host") else X.copy()
