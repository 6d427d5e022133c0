"""Compiled inner loops of ``simulators.law1d.output_law`` (the exact 1-D law).

Line-for-line the arithmetic of the NumPy functions ``law1d._parabolas`` and ``law1d._deposit``
(which stay as the readable reference and the tests' oracle), as single loops: no (segment,
target-cell) pair arrays, no temporaries, no ``bincount``. Sums may be accumulated in another
order than NumPy's, so results agree to rounding (~1e-16 relative), not bitwise. Cached on disk
like every kernel (``_cache``: this module is a real file, so plain ``cache=True`` works).
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

_OPTS: dict[str, Any] = dict(cache=True, nogil=True, error_model="numpy")


@numba.njit(**_OPTS)
def parabolas(M):
    """(S, P) of ``law1d._parabolas``: third-order in-cell parabolas, linear and limited where
    the parabola would go negative inside the cell."""
    G = M.size
    S = np.empty(G)
    P = np.empty(G)
    for j in range(G):
        left = M[j - 1] if j > 0 else 0.0
        right = M[j + 1] if j + 1 < G else 0.0
        s = 0.5 * (right - left)
        p = 0.5 * (right - 2.0 * M[j] + left)
        ends = min(M[j] - 0.5 * abs(s) + p / 6.0, M[j] + p / 6.0 + 0.5 * abs(s))
        vertex = np.inf
        if p > 0:
            v = -s / (2.0 * p)
            if abs(v) < 0.5:
                vertex = M[j] + s * v + p * (v * v - 1.0 / 12.0)
        if min(ends, vertex) < 0:
            s = min(max(s, -2.0 * M[j]), 2.0 * M[j])
            p = 0.0
        S[j] = s
        P[j] = p
    return S, P


@numba.njit(**_OPTS)
def segment_images(cell, u0, h, mL, mC, mR, cellM, cellS, cellP, dx):
    """Per segment: the transported parabola (Mi, Si, Pi), the image ends in cell units
    (lo_img, hi_img) and m1 = m′·width (its sign orients the image); ``law1d._deposit``."""
    n = cell.size
    Mi = np.empty(n)
    Si = np.empty(n)
    Pi = np.empty(n)
    lo_img = np.empty(n)
    hi_img = np.empty(n)
    m1 = np.empty(n)
    for s in range(n):
        i = cell[s]
        uu, hh = u0[s], h[s]
        Mi[s] = hh * (cellM[i] + cellS[i] * uu + cellP[i] * (uu * uu - 1.0 / 12.0 + hh * hh / 12.0))
        Si[s] = hh * hh * (cellS[i] + 2.0 * cellP[i] * uu)
        Pi[s] = hh**3 * cellP[i]
        d1 = mR[s] - mL[s]
        centre = mC[s] + (mR[s] - 2.0 * mC[s] + mL[s]) / 12.0
        half = 0.5 * abs(d1)
        lo_img[s] = (centre - half) / dx
        hi_img[s] = (centre + half) / dx
        m1[s] = d1
    return Mi, Si, Pi, lo_img, hi_img, m1


@numba.njit(inline="always")
def _primitive(M, S, P, u):
    return u * (M + u * (0.5 * S + P * u / 3.0) - P / 12.0)


@numba.njit(**_OPTS)
def deposit(Mi, Si, Pi, lo_img, hi_img, m1, j0, n_out, dx):
    """Masses of the segments' images on the cells j0 .. j0 + n_out − 1 and the total deposited
    (before the final clip at 0); the loop body of ``law1d._deposit``."""
    out = np.zeros(n_out)
    deposited = 0.0
    for s in range(Mi.size):
        a = lo_img[s] - (j0 - 0.5)
        bnd = hi_img[s] - (j0 - 0.5)
        width = bnd - a
        if width < 1e-9:  # a point image: the whole mass at the image mean
            shift = m1[s] * Si[s] / (12.0 * Mi[s] * dx) if Mi[s] > 0 else 0.0
            pos = math.floor(0.5 * (a + bnd) + shift)
            if 0 <= pos < n_out:
                out[pos] += Mi[s]
                deposited += Mi[s]
            continue
        sgn = -1.0 if m1[s] < 0 else 1.0
        mid = 0.5 * (a + bnd)
        first = min(max(math.floor(a), 0), n_out - 1)
        last = min(max(math.floor(bnd), -1), n_out - 1)
        for j in range(first, last + 1):
            lo = max(a, j)
            hi = min(bnd, j + 1.0)
            if not hi > lo:
                continue
            if lo == a:
                v_lo = -0.5 * sgn
            else:
                v_lo = min(max(sgn * (lo - mid) / width, -0.5), 0.5)
            if hi == bnd:
                v_hi = 0.5 * sgn
            else:
                v_hi = min(max(sgn * (hi - mid) / width, -0.5), 0.5)
            w = sgn * (_primitive(Mi[s], Si[s], Pi[s], v_hi)
                       - _primitive(Mi[s], Si[s], Pi[s], v_lo))
            out[j] += w
            deposited += w
    return out, deposited


@numba.njit(**_OPTS)
def smooth_flags(mL, mC, mR, kink, kink_abs_dx):
    """``|mR − 2 mC + mL| > kink |mR − mL| + kink_abs_dx`` (``law1d._segments``' test)."""
    n = mL.size
    flag = np.empty(n, dtype=np.bool_)
    for s in range(n):
        flag[s] = abs(mR[s] - 2.0 * mC[s] + mL[s]) > kink * abs(mR[s] - mL[s]) + kink_abs_dx
    return flag


@numba.njit(**_OPTS)
def lattice_points(start, G, dx):
    """The 2G + 1 cell edges and centres ``(start + i/2 − ½) Δ`` (``law1d._segments``)."""
    pts = np.empty(2 * G + 1)
    for i in range(2 * G + 1):
        pts[i] = (start + i / 2.0 - 0.5) * dx
    return pts


@numba.njit(**_OPTS)
def first_level(M, m, kink, kink_abs_dx):
    """Live cells (M > 0) with the map at their edges and centre (m: 2G + 1 values) and the
    smoothness flag of ``smooth_flags``: (cell, mL, mC, mR, flag)."""
    G = M.size
    n = 0
    for i in range(G):
        if M[i] > 0:
            n += 1
    cell = np.empty(n, dtype=np.int64)
    mL = np.empty(n)
    mC = np.empty(n)
    mR = np.empty(n)
    flag = np.empty(n, dtype=np.bool_)
    s = 0
    for i in range(G):
        if M[i] > 0:
            cell[s] = i
            a, b, c = m[2 * i], m[2 * i + 1], m[2 * i + 2]
            mL[s], mC[s], mR[s] = a, b, c
            flag[s] = abs(c - 2.0 * b + a) > kink * abs(c - a) + kink_abs_dx
            s += 1
    return cell, mL, mC, mR, flag


@numba.njit(**_OPTS)
def mean_map(x, s, a, b):
    """(a x + b s, whether every s is finite): the mean map of one step from the scores s at x
    (``law1d.output_law``)."""
    m = np.empty(x.size)
    finite = True
    for i in range(x.size):
        if not np.isfinite(s[i]):
            finite = False
        m[i] = a * x[i] + b * s[i]
    return m, finite
