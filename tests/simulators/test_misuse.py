"""Issue 13 §2: misuse of the simulators answered before any work starts, and extreme but
representable inputs computed instead of refused.

Oracles: mpmath (unbounded exponent range) for scores at far points and for tail thresholds,
SciPy's ``norm.isf`` for a single Gaussian's threshold.
"""

from __future__ import annotations

import math
import time

import mpmath
import numpy as np
import pytest
from scipy import stats

from diffbounds.simulators import GaussianMixture, metrics, perturbed_score, sample, schedule
from diffbounds.simulators._validate import SEED_MAX, check_seed

STD3 = GaussianMixture([1.0], np.zeros((1, 3)), np.eye(3)[None])


# ---------------------------------------------------------------------------- schedules
@pytest.mark.parametrize("builder", [schedule.exponential, schedule.uniform])
def test_schedule_finer_than_float64_raises_naming_n_steps(builder):
    # issue example: 1000 steps in [1 - 1e-14, 1] (only ~45 float64 numbers lie there)
    with pytest.raises(ValueError, match=r"^n_steps: 1000 steps .* not resolvable in float64"):
        builder(1.0, 1.0 - 1e-14, 1000)


@pytest.mark.parametrize("builder", [schedule.exponential, schedule.uniform])
@pytest.mark.parametrize("T, t_stop, n", [(1.0, 1.0 - 1e-14, 10), (3.0, 1e-3, 1000),
                                          (5.0, 0.5, 1), (1e6, 1e6 - 1e-6, 2000)])
def test_schedules_that_are_returned_are_strictly_decreasing(builder, T, t_stop, n):
    try:
        times = builder(T, t_stop, n)
    except ValueError as exc:
        assert str(exc).startswith("n_steps:")
        # refused only when the grid really is finer than float64: the mean step is below
        # a few ulps of T (an equal split needs mean step >= ulp(T) at least)
        assert (T - t_stop) / n < 4 * math.ulp(T)
        return
    assert times.shape == (n + 1,) and times[0] == T and times[-1] == t_stop
    assert np.all(np.diff(times) < 0)
    sample(STD3, 2, times, backend="numpy")  # the sampler accepts every returned schedule


# ---------------------------------------------------------------------------- step sizes
def test_overflowing_step_rejected_before_running_naming_the_dtype_in_use():
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"^times: step 0 \(h = 799\.9.*overflow float64"
                                         r".*at most 354\.9 in float64") as info:
        sample(STD3, 3, [800.0, 0.1])
    assert "use float64" not in str(info.value)
    assert time.perf_counter() - t0 < 1.0  # rejected up front, no kernel compiled or run
    with pytest.raises(ValueError, match=r"overflow float32.*at most 88\.03 in float32"):
        sample(STD3, 3, [100.0, 0.1], dtype="float32")


def test_step_limits_are_exact():
    # float64: sqrt(expm1(2h)) is the first to overflow, at h = log(DBL_MAX)/2
    h64 = 0.5 * math.log(np.finfo(np.float64).max)
    assert np.all(np.isfinite(np.sqrt(np.expm1(2 * np.nextafter(h64, 0)))))
    with np.errstate(over="ignore"):
        assert not np.isfinite(np.sqrt(np.expm1(2 * (h64 + 1e-9))))
    x = sample(STD3, 3, [h64 - 1e-6 + 0.1, 0.1], backend="numpy")
    assert x.shape == (3, 3)
    with pytest.raises(ValueError, match="^times: step 0"):
        sample(STD3, 3, [h64 + 1e-6 + 0.1, 0.1], backend="numpy")
    # float32: 2(e^h - 1) <= FLT_MAX is the binding one
    h32 = math.log(float(np.finfo(np.float32).max) / 2)
    sample(STD3, 3, [h32 - 1e-3 + 0.1, 0.1], backend="numpy", dtype="float32")
    with pytest.raises(ValueError, match="^times: step 0"):
        sample(STD3, 3, [h32 + 1e-3 + 0.1, 0.1], backend="numpy", dtype="float32")


# ---------------------------------------------------------------------------- t of score models
PS = perturbed_score(GaussianMixture([1.0], np.zeros((1, 1)), np.eye(1)[None]), eps=0.1,
                     delta=0.05, bad_magnitude=1.0)
X1 = np.zeros((2, 1))
METHODS = {
    "l2_error": lambda t: PS.l2_error(t),
    "quantile_error": lambda t: PS.quantile_error(t),
    "region_mass": lambda t: PS.region_mass(t),
    "region_threshold": lambda t: PS.region_threshold(t),
    "in_region": lambda t: PS.in_region(X1, t),
    "error": lambda t: PS.error(X1, t),
    "__call__": lambda t: PS(X1, t),
}


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("t, exc", [(0.0, ValueError), (-1.0, ValueError),
                                    (math.nan, ValueError), (math.inf, ValueError),
                                    (True, TypeError), ("1", TypeError)])
def test_every_score_model_method_validates_t_the_same_way(method, t, exc):
    with pytest.raises(exc, match="^t: "):
        METHODS[method](t)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_score_model_methods_accept_a_valid_t(method):
    out = np.asarray(METHODS[method](0.5))
    assert out.dtype == bool or np.all(np.isfinite(out))


# ---------------------------------------------------------------------------- one seed rule
MIX2 = GaussianMixture([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], 1.0)
PTS = np.zeros((4, 2))
SEEDED = {
    "GaussianMixture.sample": lambda s: MIX2.sample(3, s),
    "simulators.sample": lambda s: sample(MIX2, 2, [1.0, 0.5], seed=s, backend="numpy"),
    "metrics.sliced_w2": lambda s: metrics.sliced_w2(PTS, PTS + 1, n_projections=4, seed=s),
    "perturbed_score": lambda s: perturbed_score(MIX2, eps=0.1, delta=0.1, bad_magnitude=1.0,
                                                 seed=s),
}


@pytest.mark.parametrize("where", sorted(SEEDED))
@pytest.mark.parametrize("seed, exc", [(-1, ValueError), (SEED_MAX + 1, ValueError),
                                       (1.0, TypeError), (None, TypeError),
                                       (True, TypeError), ("0", TypeError)])
def test_one_seed_rule_everywhere(where, seed, exc):
    with pytest.raises(exc, match="^seed: "):
        SEEDED[where](seed)


@pytest.mark.parametrize("where", sorted(SEEDED))
def test_seed_range_ends_are_accepted_and_reproducible(where):
    for s in (0, SEED_MAX, np.uint64(SEED_MAX)):
        a, b = SEEDED[where](s), SEEDED[where](s)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)


def test_check_seed_message_names_the_argument():
    with pytest.raises(TypeError, match="^tie_seed: .*None"):
        check_seed(None, "tie_seed")


def test_mixture_sample_still_takes_a_generator():
    a = MIX2.sample(5, np.random.default_rng(1))
    np.testing.assert_array_equal(a, MIX2.sample(5, np.random.default_rng(1)))


# ---------------------------------------------------------------------------- far points
def _mp_score(m: GaussianMixture, x):
    """mpmath reference for isotropic/diagonal mixtures: -sum_k r_k (x - mu_k) / v_k."""
    mpmath.mp.dps = 60
    x = [mpmath.mpf(float(v)) for v in x]
    logs, grads = [], []
    for w, mu, var in zip(m.weights, m.means, m.covariance_matrices(), strict=True):
        v = [mpmath.mpf(float(var[i, i])) for i in range(len(x))]
        lj = mpmath.log(w) - sum(mpmath.log(2 * mpmath.pi * vi) / 2 for vi in v) - sum(
            (xi - float(mi)) ** 2 / (2 * vi) for xi, mi, vi in zip(x, mu, v, strict=True))
        logs.append(lj)
        grads.append([-(xi - float(mi)) / vi for xi, mi, vi in zip(x, mu, v, strict=True)])
    top = max(logs)
    r = [mpmath.exp(lj - top) for lj in logs]
    tot = sum(r)
    return np.array([float(sum(rk * g[i] for rk, g in zip(r, grads, strict=True)) / tot)
                     for i in range(len(x))])


FAR = [
    (STD3, [1e155, 0.0, 0.0]),
    (STD3, [-3e200, 1e200, 5.0]),
    (GaussianMixture([0.5, 0.5], [[0, 0, 1.0], [0, 0, -1.0]], 1.0), [1e155, 0.0, 1e-100]),
    (GaussianMixture([0.5, 0.5], [[0, 0, 1.0], [0, 0, -1.0]], 1.0), [1e155, 0.0, 1e140]),
    (GaussianMixture([0.3, 0.7], [[0, 0, 1.0], [0, 0, -1.0]], [1.0, 2.0]), [1e155, 0.0, 0.0]),
    (GaussianMixture([0.3, 0.7], [[0, 2.0, 1.0], [0, 0, -1.0]], [[1.0, 3.0, 0.5],
                                                                  [1.0, 3.0, 0.5]]),
     [1e160, -1e160, 1.0]),
]


@pytest.mark.parametrize("m, x", FAR)
def test_score_at_far_points_matches_mpmath(m, x):
    got = m.score(np.array(x))
    ref = _mp_score(m, x)
    # tolerance: a few ulps of the largest entry (backward error in x) plus 1e-12 relative
    tol = 8 * np.finfo(float).eps * np.abs(ref).max() + 1e-12 * np.abs(ref)
    assert np.all(np.abs(got - ref) <= tol)


def test_far_score_full_covariance_matches_its_rotated_diagonal_twin():
    # a full covariance diagonal in a rotated basis: score(Q x) = Q score_diag(x)
    th = 0.3
    q = np.array([[math.cos(th), -math.sin(th), 0], [math.sin(th), math.cos(th), 0], [0, 0, 1]])
    mu = np.array([[1.0, 0, 0], [0, -1.0, 0]])
    lam = np.array([[1.0, 2.0, 0.5], [1.0, 2.0, 0.5]])
    diag = GaussianMixture([0.4, 0.6], mu, lam)
    full = GaussianMixture([0.4, 0.6], mu @ q.T, np.stack([q @ np.diag(v) @ q.T for v in lam]))
    x = np.array([3e154, -1e154, 2.0])
    np.testing.assert_allclose(full.score(q @ x), q @ diag.score(x), rtol=1e-12)


def test_score_that_is_not_representable_still_raises():
    with pytest.raises(FloatingPointError, match="^x: the score is not representable"):
        GaussianMixture([1.0], np.zeros((1, 2)), 0.5).score([1.7e308, -1.7e308])


# ---------------------------------------------------------------------------- tail thresholds
def test_tiny_but_representable_tail_mass_is_accepted():
    n01 = GaussianMixture([1.0], np.zeros((1, 1)), np.eye(1)[None])
    ps = perturbed_score(n01, eps=0.1, delta=1e-12, bad_magnitude=10)  # issue example
    tau = ps.region_threshold(1e-9)
    assert tau == pytest.approx(stats.norm.isf(1e-12), rel=1e-13)  # ~7.034
    assert ps.region_mass(1e-9) == pytest.approx(1e-12, rel=1e-10)


@pytest.mark.parametrize("q", [0.3, 1e-6, 1e-12, 1e-30, 1e-200])
def test_mixture_isf_matches_mpmath(q):
    m = GaussianMixture([0.2, 0.8], [-1.0, 2.0], [0.5, 1.5])
    x = float(m.isf(q))
    mpmath.mp.dps = 50

    def sf(v):
        return sum(w * mpmath.ncdf((mu - v) / mpmath.sqrt(var)) for w, mu, var in
                   ((0.2, -1.0, 0.5), (0.8, 2.0, 1.5)))

    ref = mpmath.findroot(lambda v: mpmath.log(sf(v)) - mpmath.log(q), x)
    # well conditioned: |dx| <= 4 eps |x| + tiny (the quantile's documented accuracy)
    assert abs(x - float(ref)) <= 8 * np.finfo(float).eps * abs(float(ref)) + 1e-15
    assert m.isf(0.0) == math.inf and m.isf(1.0) == -math.inf
    with pytest.raises(ValueError, match="^q:"):
        m.isf(1.5)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_overflow_after_the_run_gives_advice_true_for_the_dtype(dtype):
    # a finite but enormous score overflows the chain: the message must not advise float64
    # when float64 is in use
    def huge(x, t):
        return np.full_like(x, 1e308 if dtype == "float64" else 1e38)

    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(FloatingPointError, match="ended non-finite") as info:
            sample(huge, 4, [2.0, 1.0, 0.5], dim=2, backend="numpy", dtype=dtype)
    assert ("use float64" in str(info.value)) == (dtype == "float32")


def test_gridlaw_fields_and_from_mixture_mass_floor_are_checked():
    from diffbounds.simulators import GaussianMixture
    from diffbounds.simulators.law1d import GridLaw

    mass = np.array([0.25, 0.5, 0.25])
    law = GridLaw(mass, 0.1, -1)
    assert mass.flags.writeable  # the caller's array is copied, not frozen
    with pytest.raises(TypeError, match="spacing"):
        GridLaw(mass, True, -1)
    with pytest.raises(TypeError, match="lost_mass"):
        GridLaw(mass, 0.1, -1, lost_mass="0")
    with pytest.raises(ValueError, match="lost_mass"):
        GridLaw(mass, 0.1, -1, lost_mass=1.5)
    q = GaussianMixture([1.0], [0.0], [1.0])
    with pytest.raises(ValueError, match="mass_floor"):
        GridLaw.from_mixture(q, mass_floor=-1e-3)
    with pytest.raises(ValueError, match="mass_floor"):
        GridLaw.from_mixture(q, mass_floor=1.0)
    with pytest.raises(TypeError, match="mass_floor"):
        GridLaw.from_mixture(q, mass_floor="tiny")
    assert law.total_mass() == pytest.approx(1.0)
