"""Setting 1.1's training data: m data points reused at every time, fresh counter-based noise.

For the diffusion time ``t_k`` with counter step index ``s_k`` (by default ``s_k = k``):

    ξ_i = rng.normals(seed, m, s_k, d)[i],   z_i = σ_{t_k} ξ_i,   σ_t² = 1 − e^{−2t},
    y_i = e^{−t_k} x_i + z_i,                target_i = −z_i / σ_{t_k}² = −ξ_i / σ_{t_k},

so the denoising objective (paper eq. (4)) is (1/m) Σ_i ‖f(y_i) − target_i‖². The noise for
(seed, particle i, step s_k, coordinate j) is a pure function of those four numbers: every
hypothesis class sees the same noise, and training a subset of the times (with their ``steps``)
reproduces the noise of the full run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from diffbounds.simulators import rng
from diffbounds.simulators._validate import check_int, check_real, check_seed  # noqa: F401 - re-exported
from diffbounds.simulators.mixture import GaussianMixture

#: Relative tolerance within which an evaluation time matches a training time.
TIME_RTOL = 1e-12


def check_positive_real(name: str, value) -> float:
    return check_real(name, value, positive=True)


def check_data(x0) -> np.ndarray:
    """x0 as a float64 (m, d) array; a plain (m,) array is m points in d = 1."""
    if isinstance(x0, (str, bytes)) or x0 is None:
        raise TypeError(f"x0: expected an (m, d) array of data points, got {type(x0).__name__}")
    try:
        arr = np.asarray(x0)
    except ValueError as exc:
        raise ValueError(f"x0: not a rectangular array ({exc})") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"x0: expected real numbers, got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"x0: expected shape (m, d) (or (m,) for d = 1), got {arr.shape}")
    if arr.shape[0] < 1:
        raise ValueError(f"x0: needs m >= 1 data points, got shape {arr.shape}")
    if arr.shape[1] < 1:
        raise ValueError(f"x0: needs d >= 1 coordinates, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError("x0: must be finite (found NaN or inf)")
    return arr


def check_times(times) -> np.ndarray:
    """Training times as a float64 (N,) array: finite, > 0, pairwise distinct (rel. 1e-12)."""
    if isinstance(times, (str, bytes)) or times is None:
        raise TypeError(f"times: expected diffusion times, got {type(times).__name__}")
    arr = np.asarray(times)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"times: expected real numbers, got dtype {arr.dtype}")
    arr = np.atleast_1d(arr.astype(np.float64))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"times: expected a non-empty 1-D array, got shape {np.shape(times)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("times: must be finite")
    if np.any(arr <= 0):
        raise ValueError(f"times: must be > 0 (sigma_t = 0 at t = 0), got min {arr.min()!r}")
    srt = np.sort(arr)
    if np.any(np.diff(srt) <= TIME_RTOL * srt[1:]):
        raise ValueError("times: must be pairwise distinct (relative spacing > 1e-12)")
    return arr


def check_steps(steps, n_times: int) -> np.ndarray:
    """Counter step indices, default 0..N−1; distinct non-negative integers, one per time."""
    if steps is None:
        return np.arange(n_times, dtype=np.int64)
    arr = np.atleast_1d(np.asarray(steps))
    if arr.dtype.kind not in "iu":
        raise TypeError(f"steps: expected integers, got dtype {arr.dtype}")
    if arr.shape != (n_times,):
        raise ValueError(f"steps: expected shape ({n_times},) (one per time), got {arr.shape}")
    if np.any(arr < 0) or np.any(arr.astype(np.uint64) > 2**63 - 1):
        raise ValueError("steps: must be in [0, 2**63 - 1]")
    if np.unique(arr).size != arr.size:
        raise ValueError("steps: must be pairwise distinct (each time gets its own noise)")
    return arr.astype(np.int64)


def check_truth(truth, d: int) -> GaussianMixture | None:
    if truth is None:
        return None
    if not isinstance(truth, GaussianMixture):
        raise TypeError(f"truth: expected a GaussianMixture (the law of x0), "
                        f"got {type(truth).__name__}")
    if truth.dim != d:
        raise ValueError(f"truth: dimension {truth.dim} does not match x0's d = {d}")
    return truth


def sigma2(t) -> np.ndarray:
    """σ_t² = 1 − e^{−2t} (accurate for small t)."""
    return -np.expm1(-2.0 * np.asarray(t, dtype=np.float64))


def step_data(x0: np.ndarray, t: float, step: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(y, target) at one time: y = e^{−t} x0 + σ_t ξ, target = −ξ/σ_t,
    ξ = rng.normals(seed, m, step, d)."""
    m, d = x0.shape
    xi = rng.normals(seed, m, int(step), d)
    sigma = math.sqrt(float(sigma2(t)))
    y = math.exp(-t) * x0 + sigma * xi
    target = xi
    target *= -1.0 / sigma
    return y, target


@dataclass(frozen=True)
class DenoisingData:
    """Inputs and targets of the denoising objective at every training time.

    Memory is 16·N·m·d bytes. Built by :func:`denoising_data`.

    Attributes
    ----------
    times : numpy.ndarray
        Training times, shape (N,).
    steps : numpy.ndarray
        Counter step indices of the noise, shape (N,).
    sigma2 : numpy.ndarray
        σ_t² = 1 − e^{−2t}, shape (N,).
    y : numpy.ndarray
        Noisy inputs e^{−t_k} x_i + z_i, shape (N, m, d).
    target : numpy.ndarray
        −z_i/σ_{t_k}², shape (N, m, d).
    seed : int
        The noise seed.
    """

    times: np.ndarray
    steps: np.ndarray
    sigma2: np.ndarray
    y: np.ndarray
    target: np.ndarray
    seed: int

    @property
    def m(self) -> int:
        return self.y.shape[1]

    @property
    def dim(self) -> int:
        return self.y.shape[2]


def denoising_data(x0: ArrayLike, times: ArrayLike, seed: int, *,
                   steps: ArrayLike | None = None) -> DenoisingData:
    """Setting 1.1 (paper §2.3): y_i = e^{−t_k} x_i + z_i and targets −z_i/σ_{t_k}² for each t_k.

    ``z_i = σ_{t_k} · rng.normals(seed, m, steps[k], d)[i]`` (counter-based: the noise of data
    point i at time index k is a pure function of (seed, i, steps[k], coordinate)); ``steps``
    defaults to 0..N−1, the position of each time in ``times``. The same data points ``x0``
    (m, d) are reused at every time. Use a training seed different from the sampler's seed:
    ``simulators.sample`` draws its step-k noise from the same generator.

    Parameters
    ----------
    x0 : array_like
        The m data points, shape (m, d) ((m,) for d = 1), finite.
    times : array_like
        The N training times, finite, > 0, pairwise distinct.
    seed : int
        Noise seed, >= 0.
    steps : array_like of int or None
        Counter step index of each time, shape (N,), >= 0; None for 0..N−1.

    Returns
    -------
    DenoisingData
        Read-only arrays.

    Raises
    ------
    TypeError, ValueError
        Naming the argument that is not of the form above.

    Examples
    --------
    >>> data = denoising_data([[0.0, 1.0], [2.0, 3.0]], [1.0, 0.5], seed=7)
    >>> data.y.shape, data.target.shape
    ((2, 2, 2), (2, 2, 2))
    """
    x0 = check_data(x0)
    times = check_times(times)
    steps = check_steps(steps, times.size)
    seed = check_seed(seed)
    N, (m, d) = times.size, x0.shape
    y = np.empty((N, m, d))
    target = np.empty((N, m, d))
    for k in range(N):
        y[k], target[k] = step_data(x0, float(times[k]), int(steps[k]), seed)
    for a in (times, steps, y, target):
        a.flags.writeable = False
    s2 = sigma2(times)
    s2.flags.writeable = False
    return DenoisingData(times, steps, s2, y, target, seed)


def denoising_loss(f: Callable[[np.ndarray], ArrayLike], y: ArrayLike,
                   target: ArrayLike) -> float:
    """Empirical denoising objective (paper eq. (4)): (1/m) Σ_i ‖f(y_i) − target_i‖².

    Parameters
    ----------
    f : callable
        Maps an (m, d) array to (m, d) (for a score of (x, t) pass ``lambda y: s(y, t)``).
    y, target : array_like
        Shape (m, d), m >= 1 (one time of :func:`denoising_data`).

    Returns
    -------
    float
        The objective (squared units of the score).

    Raises
    ------
    TypeError
        ``f`` is not callable.
    ValueError
        Shapes differ, or ``f`` returns the wrong shape or non-finite values.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.zeros((2, 1))
    >>> denoising_loss(lambda v: v + 1.0, y, np.array([[1.0], [3.0]]))  # (0 + 4) / 2
    2.0
    """
    if not callable(f):
        raise TypeError(f"f: expected a callable (m, d) -> (m, d), got {type(f).__name__}")
    y = np.asarray(y, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if y.ndim != 2 or y.shape[0] < 1:
        raise ValueError(f"y: expected shape (m, d) with m >= 1, got {y.shape}")
    if target.shape != y.shape:
        raise ValueError(f"target: expected shape {y.shape} (that of y), got {target.shape}")
    pred = np.asarray(f(y), dtype=np.float64)
    if pred.shape != y.shape:
        raise ValueError(f"f: returned shape {pred.shape}, expected {y.shape}")
    return squared_error(pred, target, "f")


def squared_error(pred: np.ndarray, target: np.ndarray, name: str) -> float:
    """(1/m) Σ ‖pred_i − target_i‖², refusing non-finite predictions."""
    if not np.all(np.isfinite(pred)):
        raise ValueError(f"{name}: returned non-finite values")
    diff = pred - target
    return float(np.einsum("ij,ij->", diff, diff) / pred.shape[0])
