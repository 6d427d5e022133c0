"""Compiled inner loops of ``simulators.law1d.output_law`` (the exact 1-D law).

Line-for-line the arithmetic of the NumPy functions ``law1d._parabolas`` and ``law1d._deposit``
(which stay as the readable reference and the tests' oracle), as single loops: no (segment,
target-cell) pair arrays, no temporaries, no ``bincount``. Sums may be accumulated in another
order than NumPy's, so results agree to rounding (~1e-16 relative), not bitwise. Cached on disk
like every kernel (``_cache``: this module is a real file, so plain ``cache=True`` works).

The second half ("the fused step") serves ``law1d._step_law``: the same formulas run over the
live cells only, with the parabolas, segment images and deposit fused into one pass
(``remap_deposit``), plus the overlap-add's block gather/scatter, the FFT-noise cut and the
trim.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

_OPTS: dict[str, Any] = dict(cache=True, nogil=True, error_model="numpy")
#: the fused step's remap: divisions may become multiplications by reciprocals (``arcp``) and
#: products and sums fused (``contract``): each changes a result by at most ~1 ulp. No
#: ``reassoc`` (summation order), no ``nnan``/``ninf`` (the parabola test uses inf).
_FAST_OPTS: dict[str, Any] = dict(_OPTS, fastmath={"arcp", "contract"})


@numba.njit(inline="always")
def _parabola(M, j):
    """(S_j, P_j) of ``parabolas`` for the one cell j."""
    G = M.size
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
    return s, p


@numba.njit(inline="always")
def _parabola_no_division(M, j):
    """``_parabola`` with its negativity test written without the division: for P > 0 the
    vertex u = −S/(2P) lies inside the cell iff |S| < P, and the parabola's value there,
    M − S²/(4P) − P/12, is < 0 iff 4P (M − P/12) < S². Same (S, P) except where a test is
    tied to rounding (a vertex value within ~1e-16 of 0)."""
    G = M.size
    m = M[j]
    left = M[j - 1] if j > 0 else 0.0
    right = M[j + 1] if j + 1 < G else 0.0
    s = 0.5 * (right - left)
    p = 0.5 * (right - 2.0 * m + left)
    ends = min(m - 0.5 * abs(s) + p / 6.0, m + p / 6.0 + 0.5 * abs(s))
    bad = ends < 0 or (p > 0 and abs(s) < p and 4.0 * p * (m - p / 12.0) < s * s)
    if bad:
        s = min(max(s, -2.0 * m), 2.0 * m)
        p = 0.0
    return s, p


@numba.njit(**_OPTS)
def parabolas(M):
    """(S, P) of ``law1d._parabolas``: third-order in-cell parabolas, linear and limited where
    the parabola would go negative inside the cell."""
    G = M.size
    S = np.empty(G)
    P = np.empty(G)
    for j in range(G):
        S[j], P[j] = _parabola(M, j)
    return S, P


@numba.njit(inline="always")
def _segment_image(cM, cS, cP, uu, hh, l, c, r, dx):
    """One segment (centre uu, width hh in cell coordinates, map values l, c, r) of a cell with
    the parabola (cM, cS, cP): (Mi, Si, Pi, lo_img, hi_img, m1) of ``segment_images``."""
    Mi = hh * (cM + cS * uu + cP * (uu * uu - 1.0 / 12.0 + hh * hh / 12.0))
    Si = hh * hh * (cS + 2.0 * cP * uu)
    Pi = hh**3 * cP
    d1 = r - l
    centre = c + (r - 2.0 * c + l) / 12.0
    half = 0.5 * abs(d1)
    return Mi, Si, Pi, (centre - half) / dx, (centre + half) / dx, d1


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
        Mi[s], Si[s], Pi[s], lo_img[s], hi_img[s], m1[s] = _segment_image(
            cellM[i], cellS[i], cellP[i], u0[s], h[s], mL[s], mC[s], mR[s], dx)
    return Mi, Si, Pi, lo_img, hi_img, m1


@numba.njit(inline="always")
def _primitive(M, S, P, u):
    return u * (M + u * (0.5 * S + P * u / 3.0) - P / 12.0)


@numba.njit(inline="always")
def _deposit_one(out, Mi, Si, Pi, lo_img, hi_img, m1, j0, n_out, dx):
    """Add one segment's image (parabola Mi, Si, Pi on [lo_img, hi_img] in cell units, m1 its
    orientation) to the cells j0 .. j0 + n_out − 1 of ``out``; returns the mass deposited."""
    deposited = 0.0
    a = lo_img - (j0 - 0.5)
    bnd = hi_img - (j0 - 0.5)
    width = bnd - a
    if width < 1e-9:  # a point image: the whole mass at the image mean
        shift = m1 * Si / (12.0 * Mi * dx) if Mi > 0 else 0.0
        pos = math.floor(0.5 * (a + bnd) + shift)
        if 0 <= pos < n_out:
            out[pos] += Mi
            deposited += Mi
        return deposited
    sgn = -1.0 if m1 < 0 else 1.0
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
        w = sgn * (_primitive(Mi, Si, Pi, v_hi) - _primitive(Mi, Si, Pi, v_lo))
        out[j] += w
        deposited += w
    return deposited


@numba.njit(**_OPTS)
def deposit(Mi, Si, Pi, lo_img, hi_img, m1, j0, n_out, dx):
    """Masses of the segments' images on the cells j0 .. j0 + n_out − 1 and the total deposited
    (before the final clip at 0); the loop body of ``law1d._deposit``."""
    out = np.zeros(n_out)
    deposited = 0.0
    for s in range(Mi.size):
        deposited += _deposit_one(out, Mi[s], Si[s], Pi[s], lo_img[s], hi_img[s], m1[s], j0,
                                  n_out, dx)
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


# ---------------------------------------------------------- the fused step (law1d._step_law)
# These replace, in ``law1d._step_law``, the passes over the whole lattice by passes over the
# live cells (M > 0) only; each computes exactly the numbers of the functions above (same
# expressions, evaluated at the same points), so the law is the same up to summation order.


@numba.njit(**_OPTS)
def live_points(M, start, dx):
    """The lattice points the live cells need, each once and in increasing order.

    Returns (cell, iL, pts): the live cells' indices (M > 0), the index in ``pts`` of each live
    cell's left edge (its centre and right edge follow at iL + 1, iL + 2), and the points
    ``(start + q/2 − ½) Δ`` (q = 2j, 2j + 1, 2j + 2 for cell j; ``lattice_points``)."""
    G = M.size
    n = 0
    n_pts = 0
    for j in range(G):
        if M[j] > 0:
            n += 1
            n_pts += 2 if (j > 0 and M[j - 1] > 0) else 3
    cell = np.empty(n, dtype=np.int64)
    iL = np.empty(n, dtype=np.int64)
    pts = np.empty(n_pts)
    s = 0
    q = 0
    for j in range(G):
        if M[j] > 0:
            cell[s] = j
            if j > 0 and M[j - 1] > 0:
                iL[s] = q - 1  # the previous cell's right edge
            else:
                iL[s] = q
                pts[q] = (start + (2 * j) / 2.0 - 0.5) * dx
                q += 1
            pts[q] = (start + (2 * j + 1) / 2.0 - 0.5) * dx
            pts[q + 1] = (start + (2 * j + 2) / 2.0 - 0.5) * dx
            q += 2
            s += 1
    return cell, iL, pts


@numba.njit(**_OPTS)
def first_level_live(iL, m, kink, kink_abs_dx, dx):
    """``first_level`` on the points of ``live_points``: (mL, mC, mR, flag) per live cell, and
    (min lo_img, max hi_img) over the smooth ones (flag False; u0 = 0, h = 1), the images'
    extent in cell units (``segment_images``)."""
    n = iL.size
    mL = np.empty(n)
    mC = np.empty(n)
    mR = np.empty(n)
    flag = np.empty(n, dtype=np.bool_)
    lo = np.inf
    hi = -np.inf
    for s in range(n):
        q = iL[s]
        a, b, c = m[q], m[q + 1], m[q + 2]
        mL[s], mC[s], mR[s] = a, b, c
        f = abs(c - 2.0 * b + a) > kink * abs(c - a) + kink_abs_dx
        flag[s] = f
        if not f:
            # the image ends do not depend on the cell's parabola
            _, _, _, l_img, h_img, _ = _segment_image(0.0, 0.0, 0.0, 0.0, 1.0, a, b, c, dx)
            lo = min(lo, l_img)
            hi = max(hi, h_img)
    return mL, mC, mR, flag, lo, hi


@numba.njit(**_OPTS)
def split_level(cell, f, kink, kink_abs_dx, start, dx):
    """One refinement level of ``law1d._segments``: segments (cell; rows u0, h, mL, mC, mR of
    ``f``) whose fit passes ``smooth_flags``' test are kept; the others are halved as
    ``law1d._halve`` does (left halves, then right halves), with the points
    (start + cell + u0) Δ at which the map is needed (their mC, left at 0 here).

    Returns (kept cell, kept f, halves' cell, halves' f, points, number flagged)."""
    n = cell.size
    flag = np.empty(n, dtype=np.bool_)
    nf = 0
    for s in range(n):
        fl = abs(f[4, s] - 2.0 * f[3, s] + f[2, s]) > kink * abs(f[4, s] - f[2, s]) + kink_abs_dx
        flag[s] = fl
        if fl:
            nf += 1
    keep_cell = np.empty(n - nf, dtype=np.int64)
    keep_f = np.empty((5, n - nf))
    new_cell = np.empty(2 * nf, dtype=np.int64)
    new_f = np.zeros((5, 2 * nf))
    pts = np.empty(2 * nf)
    a = 0
    b = 0
    for s in range(n):
        if flag[s]:
            q = 0.25 * f[1, s]
            for r, u0, l_, r_ in ((b, f[0, s] - q, f[2, s], f[3, s]),
                                  (nf + b, f[0, s] + q, f[3, s], f[4, s])):
                new_cell[r] = cell[s]
                new_f[0, r] = u0
                new_f[1, r] = 0.5 * f[1, s]
                new_f[2, r] = l_
                new_f[4, r] = r_
                pts[r] = (start + cell[s] + u0) * dx
            b += 1
        else:
            keep_cell[a] = cell[s]
            for i in range(5):
                keep_f[i, a] = f[i, s]
            a += 1
    return keep_cell, keep_f, new_cell, new_f, pts, nf


@numba.njit(**_OPTS)
def image_range(u0, h, mL, mC, mR, dx):
    """(min lo_img, max hi_img) over segments (``segment_images``; ±inf for none)."""
    lo = np.inf
    hi = -np.inf
    for s in range(u0.size):
        _, _, _, a, b, _ = _segment_image(0.0, 0.0, 0.0, u0[s], h[s], mL[s], mC[s], mR[s], dx)
        lo = min(lo, a)
        hi = max(hi, b)
    return lo, hi


@numba.njit(inline="always")
def _deposit_shared(out, Mi, Si, Pi, lo_img, hi_img, m1, j0, dx):
    """``_deposit_one`` for an image inside the output (j0 from the images' extent, so no
    clipping to the output is needed; an image reaching past an end by rounding goes to
    ``_deposit_one``), with each boundary's primitive computed once: the
    v at the right end of a cell's overlap is the same number as at the left end of the next
    one (same expression of the same lattice point), so the masses are bit for bit those of
    ``_deposit_one``."""
    a = lo_img - (j0 - 0.5)
    bnd = hi_img - (j0 - 0.5)
    width = bnd - a
    if width < 1e-9:  # a point image: the whole mass at the image mean
        shift = m1 * Si / (12.0 * Mi * dx) if Mi > 0 else 0.0
        pos = math.floor(0.5 * (a + bnd) + shift)
        if 0 <= pos < out.size:
            out[pos] += Mi
            return Mi
        return 0.0
    if a < 0.0 or bnd >= out.size:  # rounding at the ends of the range: clip as there
        return _deposit_one(out, Mi, Si, Pi, lo_img, hi_img, m1, j0, out.size, dx)
    sgn = -1.0 if m1 < 0 else 1.0
    mid = 0.5 * (a + bnd)
    first = math.floor(a)
    last = math.floor(bnd)
    deposited = 0.0
    p_lo = _primitive(Mi, Si, Pi, -0.5 * sgn)  # lo == a in the first cell
    for j in range(first, last + 1):
        hi = min(bnd, j + 1.0)
        if not hi > max(a, j):
            continue
        if hi == bnd:
            v_hi = 0.5 * sgn
        else:
            v_hi = min(max(sgn * (hi - mid) / width, -0.5), 0.5)
        p_hi = _primitive(Mi, Si, Pi, v_hi)
        w = sgn * (p_hi - p_lo)
        out[j] += w
        deposited += w
        p_lo = p_hi
    return deposited


@numba.njit(**_FAST_OPTS)
def remap_deposit(M, cell, mL, mC, mR, flag, cellR, u0R, hR, mLR, mCR, mRR, j0, n_out, dx):
    """``parabolas`` + ``segment_images`` + ``deposit`` in one pass, without the segment arrays:
    the smooth first-level cells (flag False; u0 = 0, h = 1) and then the refined segments,
    each cell's parabola computed where needed. Returns (out clipped at 0, mass deposited)."""
    out = np.zeros(n_out)
    deposited = 0.0
    for s in range(cell.size):
        if flag[s]:
            continue
        i = cell[s]
        cS, cP = _parabola_no_division(M, i)
        Mi, Si, Pi, lo, hi, m1 = _segment_image(M[i], cS, cP, 0.0, 1.0, mL[s], mC[s], mR[s], dx)
        deposited += _deposit_shared(out, Mi, Si, Pi, lo, hi, m1, j0, dx)
    for s in range(cellR.size):
        i = cellR[s]
        cS, cP = _parabola_no_division(M, i)
        Mi, Si, Pi, lo, hi, m1 = _segment_image(M[i], cS, cP, u0R[s], hR[s], mLR[s], mCR[s],
                                                mRR[s], dx)
        deposited += _deposit_shared(out, Mi, Si, Pi, lo, hi, m1, j0, dx)
    for j in range(n_out):
        if out[j] < 0.0:
            out[j] = 0.0
    return out, deposited


@numba.njit(**_OPTS)
def clean_fft_output(out, noise, clip):
    """In place: zero the values below ``noise`` × max |out| (FFT rounding noise, ``law1d._conv``)
    and, if ``clip``, the negative ones (``law1d._convolve``'s clip at 0)."""
    big = 0.0
    for j in range(out.size):
        big = max(big, abs(out[j]))
    cut = noise * big
    for j in range(out.size):
        v = out[j]
        if abs(v) < cut or (clip and v < 0.0):
            out[j] = 0.0
    return out


@numba.njit(**_OPTS)
def trim_range(M, floor):
    """``law1d._trim``'s cut: (i0, i1, dropped mass) keeping M[i0:i1], the cells from the first
    to the last with M ≥ floor (M > 0 for floor = 0; the largest cell when there is none)."""
    G = M.size
    i0 = -1
    i1 = -1
    for j in range(G):
        if (M[j] >= floor) if floor > 0 else (M[j] > 0):
            if i0 < 0:
                i0 = j
            i1 = j + 1
    if i0 < 0:
        i0 = int(np.argmax(M))
        i1 = i0 + 1
    dropped = 0.0
    for j in range(i0):
        dropped += M[j]
    for j in range(i1, G):
        dropped += M[j]
    return i0, i1, dropped


@numba.njit(**_OPTS)
def any_nonzero_blocks(x, block):
    """Which blocks x[b·block : (b + 1)·block] hold a nonzero value (the last may be short)."""
    nb = (x.size + block - 1) // block
    nz = np.zeros(nb, dtype=np.bool_)
    for j in range(x.size):
        if x[j] != 0.0:
            nz[j // block] = True
    return nz


@numba.njit(**_OPTS)
def gather_blocks(x, live, block, nfft):
    """Rows of length ``nfft``: the blocks x[b·block : (b + 1)·block] for b in ``live``, each
    followed by zeros (the overlap-add's padded input)."""
    rows = np.zeros((live.size, nfft))
    for r in range(live.size):
        j0 = live[r] * block
        for j in range(min(block, x.size - j0)):
            rows[r, j] = x[j0 + j]
    return rows


@numba.njit(**_OPTS)
def overlap_add(y, live, block, n_out):
    """Σ_r y[r] placed at live[r]·block, cut to n_out values (the overlap-add's output)."""
    out = np.zeros(n_out)
    for r in range(live.size):
        j0 = live[r] * block
        for j in range(min(y.shape[1], n_out - j0)):
            out[j0 + j] += y[r, j]
    return out

