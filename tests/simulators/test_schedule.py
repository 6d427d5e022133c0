"""Tests of simulators.schedule: exact endpoints, shapes, the BBDD24 step-size condition."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from diffbounds.simulators import schedule


def phase_lengths(T, t_stop):
    """(L, G): length of the linear phase and log-length of the geometric phase."""
    return max(T, 1.0) - max(t_stop, 1.0), math.log(min(T, 1.0) / min(t_stop, 1.0))


def assert_is_schedule(times, T, t_stop, n_steps):
    assert times.dtype == np.float64 and times.shape == (n_steps + 1,)
    assert times[0] == T and times[-1] == t_stop  # exact, not approximately
    assert np.all(np.diff(times) < 0)


# --------------------------------------------------------------------------------------------
# uniform
# --------------------------------------------------------------------------------------------


def test_uniform_equal_steps():
    times = schedule.uniform(3.0, 0.01, 7)
    assert_is_schedule(times, 3.0, 0.01, 7)
    np.testing.assert_allclose(-np.diff(times), (3.0 - 0.01) / 7, rtol=1e-13)


def test_uniform_single_step():
    np.testing.assert_array_equal(schedule.uniform(2.0, 0.5, 1), [2.0, 0.5])


# --------------------------------------------------------------------------------------------
# exponential (BBDD24 shape)
# --------------------------------------------------------------------------------------------


def test_exponential_two_phases_hand_example():
    T, t_stop, n = 5.0, 1e-3, 20
    times = schedule.exponential(T, t_stop, n)
    assert_is_schedule(times, T, t_stop, n)
    n_lin = int(np.nonzero(times == 1.0)[0][0])  # the phase boundary is hit exactly
    steps = -np.diff(times)
    np.testing.assert_allclose(steps[:n_lin], (T - 1) / n_lin, rtol=1e-13)
    ratios = times[n_lin + 1 :] / times[n_lin:-1]
    np.testing.assert_allclose(ratios, t_stop ** (1 / (n - n_lin)), rtol=1e-12)
    # constant steps while the remaining time is >= 1, geometric below
    assert np.all(times[:n_lin] > 1.0) and np.all(times[n_lin + 1 :] < 1.0)


def test_exponential_kappa_is_no_worse_than_proportional_split():
    # independent construction of the split proportional to (T - 1) : log(1 / t_stop)
    T, t_stop = 8.0, 1e-4
    L, G = phase_lengths(T, t_stop)
    for n in (5, 20, 100, 1000):
        n_lin = min(n - 1, max(1, round(n * L / (L + G))))
        kappa_proportional = max(L / n_lin, math.expm1(G / (n - n_lin)))
        kappa = schedule.step_size_kappa(schedule.exponential(T, t_stop, n))
        assert (L + G) / n <= kappa <= kappa_proportional * (1 + 1e-12)


@pytest.mark.parametrize(("T", "t_stop"), [(5.0, 1e-3), (10.0, 1e-6), (1.5, 0.5), (40.0, 1e-2)])
def test_exponential_kappa_tends_to_total_length_over_n(T, t_stop):
    # (L + G) / N <= kappa always; kappa N / (L + G) -> 1 as N grows (here within 1 %)
    L, G = phase_lengths(T, t_stop)
    for n in (10, 100, 10_000):
        times = schedule.exponential(T, t_stop, n)
        assert_is_schedule(times, T, t_stop, n)
        kappa = schedule.step_size_kappa(times)
        steps = -np.diff(times)
        assert np.all(steps <= kappa * np.minimum(1.0, times[1:]) * (1 + 1e-12))
        ratio = kappa * n / (L + G)
        assert ratio >= 1 - 1e-12
        if n == 10_000:
            assert ratio <= 1.01


def test_exponential_all_geometric_when_T_at_most_one():
    T, t_stop, n = 0.8, 1e-5, 12
    times = schedule.exponential(T, t_stop, n)
    assert_is_schedule(times, T, t_stop, n)
    np.testing.assert_allclose(times[1:] / times[:-1], (t_stop / T) ** (1 / n), rtol=1e-12)
    kappa = schedule.step_size_kappa(times)
    assert kappa == pytest.approx(math.expm1(math.log(T / t_stop) / n), rel=1e-12)


def test_exponential_all_linear_when_t_stop_at_least_one():
    times = schedule.exponential(6.0, 1.5, 9)
    np.testing.assert_array_equal(times, schedule.uniform(6.0, 1.5, 9))
    assert schedule.step_size_kappa(times) == pytest.approx(4.5 / 9, rel=1e-13)


def test_exponential_single_step_spanning_both_phases():
    np.testing.assert_array_equal(schedule.exponential(5.0, 1e-3, 1), [5.0, 1e-3])


def test_exponential_tiny_t_stop():
    times = schedule.exponential(12.0, 1e-12, 500)
    assert_is_schedule(times, 12.0, 1e-12, 500)
    assert np.all(np.isfinite(times))


@given(
    t_stop=st.floats(1e-8, 3.0),
    span=st.floats(1e-3, 30.0),
    n=st.integers(1, 400),
)
def test_property_exponential_is_a_valid_schedule(t_stop, span, n):
    T = t_stop + span
    times = schedule.exponential(T, t_stop, n)
    assert_is_schedule(times, T, t_stop, n)
    L, G = phase_lengths(T, t_stop)
    kappa = schedule.step_size_kappa(times)
    # the step-size condition with kappa = the largest ratio, and kappa >= (L + G) / N
    assert np.all(-np.diff(times) <= kappa * np.minimum(1.0, times[1:]) * (1 + 1e-12))
    assert kappa * n >= (L + G) * (1 - 1e-9)


def test_step_size_kappa_hand_example():
    # steps 1, 0.5, 0.25 ending at 1.5, 1.0, 0.75 -> ratios 1/1, 0.5/1, 0.25/0.75
    assert schedule.step_size_kappa([2.5, 1.5, 1.0, 0.75]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="^times"):
        schedule.step_size_kappa([1.0, 2.0])
    with pytest.raises(ValueError, match="^times"):
        schedule.step_size_kappa([1.0])
    with pytest.raises(ValueError, match="^times"):
        schedule.step_size_kappa([1.0, 0.0])


# --------------------------------------------------------------------------------------------
# early stopping and horizon
# --------------------------------------------------------------------------------------------


def test_early_stop_time_values():
    # min(gamma, gamma^2 m_2^2 / d)
    assert schedule.early_stop_time(0.1, 4.0, 100) == pytest.approx(4e-4, rel=1e-15)
    assert schedule.early_stop_time(0.5, 1000.0, 10) == 0.5


def test_horizon_values():
    # log((sqrt(d) + m_2) / (eps + delta)) = log(8 / 0.2)
    assert schedule.horizon(16, 4.0, 0.1, 0.1) == pytest.approx(math.log(40.0), rel=1e-15)
    assert schedule.horizon(1, 0.0, 1e-3, 0.0) == pytest.approx(math.log(1e3), rel=1e-15)


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [schedule.uniform, schedule.exponential])
@pytest.mark.parametrize(
    ("args", "argname"),
    [
        ((1.0, 1.0, 10), "T"),
        ((0.5, 1.0, 10), "T"),
        ((1.0, 0.0, 10), "t_stop"),
        ((1.0, -0.1, 10), "t_stop"),
        ((1.0, 0.1, 0), "n_steps"),
        ((1.0, 0.1, -2), "n_steps"),
        ((1.0, 0.1, 2.5), "n_steps"),
        ((np.inf, 0.1, 10), "T"),
        ((np.nan, 0.1, 10), "T"),
        ((1.0, np.nan, 10), "t_stop"),
    ],
)
def test_schedules_reject_bad_input(fn, args, argname):
    with pytest.raises(ValueError, match=f"^{argname}"):
        fn(*args)


@pytest.mark.parametrize("fn", [schedule.uniform, schedule.exponential])
def test_schedules_reject_wrong_types(fn):
    with pytest.raises(TypeError):
        fn("5", 0.1, 10)
    with pytest.raises(TypeError):
        fn(5.0, 0.1, "10")
    with pytest.raises(TypeError):
        fn(5.0, 0.1, True)


@pytest.mark.parametrize(
    ("args", "argname"),
    [
        ((-0.1, 1.0, 2), "gamma"),
        ((0.0, 1.0, 2), "gamma"),
        ((0.1, -1.0, 2), "second_moment"),
        ((0.1, 0.0, 2), "second_moment"),
        ((0.1, 1.0, 0), "dim"),
        ((0.1, 1.0, 1.5), "dim"),
        ((np.nan, 1.0, 2), "gamma"),
    ],
)
def test_early_stop_time_rejects_bad_input(args, argname):
    with pytest.raises(ValueError, match=f"^{argname}"):
        schedule.early_stop_time(*args)


@pytest.mark.parametrize(
    ("args", "argname"),
    [
        ((0, 1.0, 0.1, 0.1), "dim"),
        ((4, -1.0, 0.1, 0.1), "m2"),
        ((4, 1.0, -0.1, 0.1), "eps"),
        ((4, 1.0, 0.1, -0.1), "delta"),
        ((4, 1.0, 0.0, 0.0), "eps"),
        ((4, np.inf, 0.1, 0.1), "m2"),
    ],
)
def test_horizon_rejects_bad_input(args, argname):
    with pytest.raises(ValueError, match=f"^{argname}"):
        schedule.horizon(*args)
