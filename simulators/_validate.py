"""Argument checks shared by the simulators' public functions.

Every check raises before any work starts, with a message that begins with the argument's name
(``"n: must be >= 1, got 0"``): TypeError for a wrong type, ValueError for a wrong value.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def check_int(name: str, value, lo: int, hi: int | None = None) -> int:
    """An integer (not a bool) in [lo, hi]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral,
                                                                     np.integer)):
        raise TypeError(f"{name}: expected an integer, got {type(value).__name__}")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        bound = f"in [{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise ValueError(f"{name}: must be {bound}, got {value}")
    return value


def check_real(name: str, value, *, positive: bool = False) -> float:
    """A finite real number (not a bool); > 0 with ``positive``, else >= 0."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating)):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ValueError(f"{name}: must be finite and {'>' if positive else '>='} 0, got {value}")
    return value


SEED_MAX = 2**64 - 1
"""The largest seed: every seed in the package is an integer in [0, 2⁶⁴) (``SEED_MAX``)."""


def check_seed(seed, name: str = "seed") -> int:
    """The package's one seed rule: an integer (not a bool) in [0, 2⁶⁴).

    ``None`` is refused: no public function draws fresh entropy, so the same call gives the
    same result. TypeError for a non-integer (floats included, even integral ones), ValueError
    outside the range; both messages begin with ``name``.
    """
    if seed is None:
        raise TypeError(f"{name}: expected an integer in [0, 2**64), got None (results are "
                        "reproducible only from an explicit seed)")
    return check_int(name, seed, 0, SEED_MAX)
