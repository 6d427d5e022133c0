"""The fused step of ``law1d.output_law`` (issue 11 §3) against the implementation before it.

Oracles and tolerance models:
- ``law1d._output_law_reference``: the original implementation (NumPy segments, parabolas and
  deposit, the score model called at all 2G + 1 lattice points, one long FFT per convolution),
  kept for this test and ``diffbounds bench``. The fused step evaluates the same formulas at the
  same points; it differs only by rounding: summation order, divisions by reciprocals and fused
  multiply-adds (≤ ~1 ulp per operation) and FFT rounding of the overlap-add (≲ 1e-16 of the
  largest cell, the level below which both cut FFT output to 0). TV between the two laws is
  required ≤ 1e-12 (the issue's "same law to ~1e-12"); the rounding bound N · G · 1e-16 ·
  max cell is ≤ 1e-12 on every case here, and the measured TV is ~1e-14. ``lost_mass`` (the
  trimmed tails, ~1e-18) must agree to 1e-15.
- ``_conv_sparse``: SciPy's ``fftconvolve`` (another FFT code path) and ``np.convolve``
  (direct sums) on laws made of far-apart lumps, to 1e-15 of the largest output.
- The compiled helpers: the NumPy expressions they replace (lattice points exactly, trim and
  FFT-noise cut exactly).
"""

import numpy as np
import pytest
from scipy import signal

from diffbounds.simulators import GaussianMixture, perturbed_score, schedule
from diffbounds.simulators.kernels import law1d_cpu
from diffbounds.simulators.law1d import (
    _FFT_NOISE,
    GridLaw,
    _conv_sparse,
    _output_law_reference,
    _trim,
    output_law,
)

README_MIX = GaussianMixture([0.5, 0.5], [[-2.0], [1.5]], [0.25, 0.5])
README_TIMES = schedule.exponential(T=6.0, t_stop=1e-2, n_steps=200)
MIX = GaussianMixture([0.3, 0.7], [-2.0, 1.5], [0.05, 0.3])


def _readme_score():
    return perturbed_score(README_MIX, eps=0.05, delta=1e-3, bad_magnitude=1e3)


def _tv_between(a: GridLaw, b: GridLaw) -> float:
    """½ Σ |a − b| over the union of the two lattices (same spacing)."""
    assert a.spacing == b.spacing
    lo, hi = min(a.start, b.start), max(a.start + a.cells, b.start + b.cells)
    pa, pb = np.zeros(hi - lo), np.zeros(hi - lo)
    pa[a.start - lo:a.start - lo + a.cells] = a.mass
    pb[b.start - lo:b.start - lo + b.cells] = b.mass
    return 0.5 * float(np.abs(pa - pb).sum())


def _assert_same_law(new, ref):
    assert _tv_between(new, ref) <= 1e-12
    assert abs(new.lost_mass - ref.lost_mass) <= 1e-15
    # the grids agree up to end cells at the 1e-20 trimming floor
    assert abs(new.start - ref.start) <= 2 and abs(new.cells - ref.cells) <= 4


def test_readme_example_first_steps_match_the_reference():
    # 40 steps of the README example: 373 k cells in ~40 far-apart lumps (skipped FFT blocks),
    # the half-space jump refined to depth 40 at every step
    times = README_TIMES[:41]
    _assert_same_law(output_law(_readme_score(), times),
                     _output_law_reference(_readme_score(), times))


@pytest.mark.slow
def test_readme_example_matches_the_reference():
    _assert_same_law(output_law(_readme_score(), README_TIMES),
                     _output_law_reference(_readme_score(), README_TIMES))


@pytest.mark.parametrize("sampler, magnitude", [
    ("pf_heun", 30.0), ("euler_maruyama", 30.0), ("ancestral", 30.0),
    pytest.param("pf_heun", 1e3, marks=pytest.mark.slow),  # 1 M cells, ~20 s
])
def test_other_samplers_match_the_reference(sampler, magnitude):
    # the generic path: pf_heun is deterministic (no convolution, score calls at times[k + 1]),
    # the others convolve; the perturbed score's jump is refined at every step
    times = schedule.exponential(6.0, 1e-2, 40)
    score = perturbed_score(README_MIX, eps=0.05, delta=1e-3, bad_magnitude=magnitude)
    _assert_same_law(output_law(score, times, sampler=sampler),
                     _output_law_reference(score, times, sampler=sampler))


def test_cell_kernels_on_a_long_grid_match_the_reference():
    # last steps with c_k < 2Δ on ~190 k cells (two far modes): the exact cell kernels (three
    # convolutions of 17–41 taps) through the overlap-add, most blocks empty
    times = np.concatenate([schedule.exponential(3.0, 1e-2, 30),
                            [1e-2 - 1e-6, 1e-2 - 2e-6, 1e-2 - 1e-5, 1e-2 - 1e-4]])
    far_modes = GaussianMixture([0.5, 0.5], [-300.0, 300.0], [0.02, 0.02])
    new = output_law(far_modes, times)
    assert new.cells * 41 > 2_000_000  # long enough for the FFT path with those kernels
    _assert_same_law(new, _output_law_reference(far_modes, times))


def test_capped_grid_matches_the_reference():
    # mass thrown beyond max_cells: the windowed (mass-richest window) path
    def far(x, t):
        return np.where(np.abs(x) < 0.1, 1e3, -x)

    times = schedule.uniform(1.0, 0.5, 3)
    grid = {"cells": 400, "max_cells": 3000}
    new, ref = output_law(far, times, grid=grid), _output_law_reference(far, times, grid=grid)
    assert new.lost_mass > 0.05
    assert _tv_between(new, ref) <= 1e-12 and abs(new.lost_mass - ref.lost_mass) <= 1e-12


def test_default_sampler_matches_the_reference_on_a_mixture():
    times = schedule.exponential(4.0, 0.05, 20)
    _assert_same_law(output_law(MIX, times), _output_law_reference(MIX, times))


# ------------------------------------------------------------------ the pieces
def _lumpy(n, rng, lumps=12, width=300):
    x = np.zeros(n)
    for c in rng.integers(width, n - width, lumps):
        x[c - width // 2:c + width // 2] += rng.uniform(0.0, 1.0, 2 * (width // 2))
    return x


@pytest.mark.parametrize("n, k_len", [(200_000, 1001), (120_000, 57), (5_000, 301)])
def test_conv_sparse_matches_scipy(n, k_len):
    rng = np.random.default_rng(1)
    x = _lumpy(n, rng)
    k = np.exp(-0.5 * np.linspace(-5, 5, k_len) ** 2)
    cache = {}
    out, fft = _conv_sparse(x, k, cache, ("test",))
    expected = signal.fftconvolve(x, k) if fft else np.convolve(x, k)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-15 * np.abs(expected).max())
    again, _ = _conv_sparse(x, k, cache, ("test",))  # the cached spectrum: same numbers
    np.testing.assert_array_equal(out, again)
    # and against direct sums (the FFT rounding is below the noise cut)
    np.testing.assert_allclose(out, np.convolve(x, k), rtol=0,
                               atol=1e-15 * np.abs(expected).max())


def test_live_points_are_the_reference_lattice_points():
    M = np.array([0.0, 0.1, 0.2, 0.0, 0.0, 0.3, 0.0, 0.4, 0.5, 0.6])
    start, dx = -7, 0.013
    cell, iL, pts = law1d_cpu.live_points(M, start, dx)
    np.testing.assert_array_equal(cell, np.flatnonzero(M > 0))
    lattice = law1d_cpu.lattice_points(start, M.size, dx)
    for s, j in enumerate(cell):
        np.testing.assert_array_equal(pts[iL[s]:iL[s] + 3], lattice[2 * j:2 * j + 3])
    assert np.all(np.diff(pts) > 0)  # each point once, increasing


@pytest.mark.parametrize("floor", [1e-20, 0.0, 0.5])
def test_trim_range_is_trim(floor):
    M = np.array([1e-22, 0.0, 3e-20, 0.4, 0.0, 0.3, 2e-21, 0.0])
    law = _trim(GridLaw(M, 0.1, 5, 0.0), floor)
    i0, i1, dropped = law1d_cpu.trim_range(M, floor)
    np.testing.assert_array_equal(M[i0:i1], law.mass)
    assert 5 + i0 == law.start and dropped == law.lost_mass


def test_clean_fft_output_is_the_noise_cut_and_clip():
    rng = np.random.default_rng(2)
    x = rng.normal(size=1000) * np.logspace(-20, 0, 1000)
    expected = x.copy()
    expected[np.abs(expected) < _FFT_NOISE * np.abs(expected).max()] = 0.0
    np.testing.assert_array_equal(law1d_cpu.clean_fft_output(x.copy(), _FFT_NOISE, False),
                                  expected)
    np.testing.assert_array_equal(law1d_cpu.clean_fft_output(x.copy(), _FFT_NOISE, True),
                                  np.maximum(expected, 0.0))


def test_serial_scores_is_restored_after_the_block_and_on_errors():
    # inside output_law's block the compiled score runs its serial kernel (cpu.serial_scores),
    # without starting Numba's thread pool; the flag is restored after the block and on errors
    from diffbounds.simulators.kernels import cpu

    def serial():
        return getattr(cpu._SERIAL, "on", False)

    assert not serial()
    with cpu.serial_scores():
        assert serial()
        with cpu.serial_scores():
            assert serial()
        assert serial()
    assert not serial()
    with pytest.raises(RuntimeError), cpu.serial_scores():
        raise RuntimeError("inside")
    assert not serial()


def test_conv_sparse_of_zeros_is_zeros():
    out, fft = _conv_sparse(np.zeros(300_000), np.ones(1001), {}, ("zeros",))
    assert fft and out.shape == (301_000,) and not out.any()
