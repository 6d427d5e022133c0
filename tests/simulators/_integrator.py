"""Exponential-integrator coefficients recomputed for the tests, independently of the sampler.

Oracle tests of the sampler must not use ``simulators.integrator_coefficients`` (issue 9 §5):
a bug there (say the drift 2(e^h − 1) replaced by e^h − 1) would then pass every test. Here the
step is derived again from its definition and evaluated in 40-digit arithmetic (mpmath).

Reverse SDE (design.md, "Conventions"), in reverse time r = T − t: dY = (Y + 2 s) dr + √2 dB.
With the score s frozen at its value at the step's start, over a step of length h the linear
SDE has the solution

    Y_h = e^{h} Y_0 + 2 s ∫_0^h e^{h−r} dr + √2 ∫_0^h e^{h−r} dB_r,

so Y_h | Y_0 ~ N(a Y_0 + b s, c²) with a = e^{h}, b = 2(e^{h} − 1), c² = 2∫_0^h e^{2(h−r)} dr
= e^{2h} − 1. ``test_integrator_oracle_matches_quadrature`` checks these closed forms against
mpmath quadrature of the integrals.
"""

from __future__ import annotations

import mpmath
import numpy as np


def exponential_integrator(times) -> np.ndarray:
    """(N, 3) array of (a_k, b_k, c_k) for the decreasing schedule ``times``, from the SDE."""
    t = [mpmath.mpf(float(v)) for v in np.asarray(times, dtype=np.float64)]
    rows = []
    with mpmath.workdps(40):
        for k in range(len(t) - 1):
            h = t[k] - t[k + 1]
            a = mpmath.exp(h)
            # the integrals above in closed form; 40 digits leave no cancellation in e^h − 1
            b = 2 * (mpmath.exp(h) - 1)
            c2 = mpmath.exp(2 * h) - 1
            rows.append((float(a), float(b), float(mpmath.sqrt(c2))))
    return np.array(rows, dtype=np.float64)
