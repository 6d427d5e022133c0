"""Counter-based randomness: the normal for (seed, particle, step, coordinate) is a pure function.

The generator is defined once in ``simulators.kernels._math`` (SplitMix64 key derivation, then
the AS241 inverse normal CDF) and compiled for every backend; this module exposes its NumPy
form. Because nothing is sequential, results do not depend on backend, thread count, batch
size or CUDA launch grid.
"""

from __future__ import annotations

import numbers

import numpy as np

from diffbounds.simulators.kernels.numpy_backend import math_for
from diffbounds.simulators.kernels.numpy_backend import normals as _normals


def _check(name, value, lo=0, hi=2**64 - 1):
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integers, got dtype {arr.dtype}")
    if arr.size and (arr.min() < lo or arr.max() > hi):
        raise ValueError(f"{name}: must be in [{lo}, {hi}]")
    return arr.astype(np.uint64)


def standard_normal(seed, particle, step, coord, dtype="float64"):
    """The standard normal used for (seed, particle, step, coord); arrays broadcast together."""
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
            dtype="float64") -> np.ndarray:
    """The (n, dim) block of normals of particles ``particle_offset ..`` at ``step``."""
    for name, v, lo in (("seed", seed, 0), ("n", n, 1), ("step", step, 0), ("dim", dim, 1),
                        ("particle_offset", particle_offset, 0)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name}: expected an integer, got {type(v).__name__}")
        if v < lo:
            raise ValueError(f"{name}: must be >= {lo}, got {v}")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype: must be 'float32' or 'float64', got {dtype!r}")
    return _normals(seed, n, step, dim, particle_offset=particle_offset, dtype=dtype)
