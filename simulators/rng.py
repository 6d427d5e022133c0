"""Counter-based randomness: the normal for (seed, particle, step, coordinate) is a pure function.

The generator is defined once in ``simulators.kernels._math`` (SplitMix64 key derivation, then
the AS241 inverse normal CDF) and compiled for every backend; this module exposes its NumPy
form. Because nothing is sequential, results do not depend on backend, thread count, batch
size or CUDA launch grid.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike

from diffbounds.simulators.kernels.numpy_backend import math_for
from diffbounds.simulators.kernels.numpy_backend import normals as _normals


def _check(name, value, lo=0, hi=2**64 - 1):
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integers, got dtype {arr.dtype}")
    if arr.size and (arr.min() < lo or arr.max() > hi):
        raise ValueError(f"{name}: must be in [{lo}, {hi}]")
    return arr.astype(np.uint64)


def standard_normal(seed: ArrayLike, particle: ArrayLike, step: ArrayLike, coord: ArrayLike,
                    dtype: str = "float64") -> np.ndarray:
    """The standard normal used for (seed, particle, step, coord); arrays broadcast together.

    Parameters
    ----------
    seed, particle, step, coord : array_like of int
        Counters in [0, 2**64 - 1], broadcast together.
    dtype : {"float64", "float32"}
        Precision of the generator (each has its own, documented stream).

    Returns
    -------
    numpy.ndarray
        The normals, of the broadcast shape and dtype ``dtype``.

    Raises
    ------
    TypeError
        A counter that is not an integer array.
    ValueError
        A counter outside [0, 2**64 - 1], or an unknown ``dtype``.

    Examples
    --------
    >>> import numpy as np
    >>> from diffbounds.simulators import rng
    >>> z = rng.standard_normal(7, np.arange(3), 0, 1)
    >>> z.shape, bool(np.array_equal(z, rng.standard_normal(7, np.arange(3), 0, 1)))
    ((3,), True)
    """
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype: must be 'float32' or 'float64', got {dtype!r}")
    seed, particle, step, coord = (_check(n, v) for n, v in
                                   (("seed", seed), ("particle", particle),
                                    ("step", step), ("coord", coord)))
    seed, particle, step, coord = np.broadcast_arrays(seed, particle, step, coord)
    ns = math_for(dtype)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        skey = ns.step_key(ns.particle_key(ns.seed_key(seed.ravel()), particle.ravel()),
                           step.ravel())
        return ns.normal(skey, coord.ravel()).reshape(seed.shape)


def normals(seed: int, n: int, step: int, dim: int, *, particle_offset: int = 0,
            dtype: str = "float64") -> np.ndarray:
    """The (n, dim) block of normals of particles ``particle_offset ..`` at ``step``.

    Row i, column j is ``standard_normal(seed, particle_offset + i, step, j, dtype)``.

    Parameters
    ----------
    seed : int
        Seed, >= 0.
    n : int
        Number of particles, >= 1.
    step : int
        Step counter, >= 0.
    dim : int
        Number of coordinates, >= 1.
    particle_offset : int
        Index of the first particle, >= 0.
    dtype : {"float64", "float32"}
        Precision of the generator.

    Returns
    -------
    numpy.ndarray
        Shape (n, dim), dtype ``dtype``.

    Raises
    ------
    TypeError
        A count or counter that is not an integer.
    ValueError
        A count or counter below its minimum, or an unknown ``dtype``.

    Examples
    --------
    >>> import numpy as np
    >>> from diffbounds.simulators import rng
    >>> block = rng.normals(7, 3, 0, 2)
    >>> bool(block[1, 0] == rng.standard_normal(7, 1, 0, 0))
    True
    """
    for name, v, lo in (("seed", seed, 0), ("n", n, 1), ("step", step, 0), ("dim", dim, 1),
                        ("particle_offset", particle_offset, 0)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name}: expected an integer, got {type(v).__name__}")
        if v < lo:
            raise ValueError(f"{name}: must be >= {lo}, got {v}")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype: must be 'float32' or 'float64', got {dtype!r}")
    return _normals(seed, n, step, dim, particle_offset=particle_offset, dtype=dtype)
