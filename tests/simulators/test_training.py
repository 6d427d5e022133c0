"""Tests of simulators.training (issue 5 §3): data, ERM on finite classes, mixture fits,
ReLU networks (when torch is installed), score-model plumbing and bad input.

Tolerance model: exact identities (enumeration vs brute force, reproducibility, the box-
constrained least-squares oracle) are checked to rounding (rtol 1e-10 or bitwise); the Monte
Carlo Tweedie checks use fixed seeds and bands of 4 standard errors (false-alarm probability
< 1e-4 per check, and the seeds are fixed).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.optimize import lsq_linear

from diffbounds.simulators import GaussianMixture, rng, sample
from diffbounds.simulators._training._mixture import n_params, objective_and_grad, params_to_mixture
from diffbounds.simulators.training import (
    FiniteERM,
    MixtureFit,
    TrainedScore,
    denoising_data,
    denoising_loss,
    fit_finite,
    fit_mixture,
    fit_relu,
)

Q2 = GaussianMixture([0.3, 0.7], [[-2.0, 0.0], [1.5, 1.0]], [0.5, 0.2])
TIMES = np.array([1.2, 0.4, 0.05])


def shifted(q, c):
    """The score of q_t plus a constant vector c (a candidate of known excess risk ‖c‖²)."""
    c = np.asarray(c, dtype=float)
    return lambda x, t: q.at(t).score(x) + c


# -- data -------------------------------------------------------------------------------------


def test_denoising_data_matches_the_counter_based_noise():
    x0 = Q2.sample(50, 0)
    data = denoising_data(x0, TIMES, seed=11)
    for k, t in enumerate(TIMES):
        xi = rng.normals(11, 50, k, 2)
        s = np.sqrt(1 - np.exp(-2 * t))
        np.testing.assert_allclose(data.y[k], np.exp(-t) * x0 + s * xi, rtol=1e-14)
        np.testing.assert_allclose(data.target[k], -(s * xi) / s**2, rtol=1e-14)
    # y = e^{-t} x0 − σ² target exactly (z = −σ² target)
    np.testing.assert_allclose(
        data.y, np.exp(-TIMES)[:, None, None] * x0 + (-data.sigma2[:, None, None]) * data.target,
        rtol=1e-12, atol=1e-12)


def test_noise_depends_only_on_seed_and_step():
    x0 = Q2.sample(20, 0)
    full = denoising_data(x0, TIMES, seed=5)
    sub = denoising_data(x0, TIMES[1:], seed=5, steps=[1, 2])
    np.testing.assert_array_equal(full.y[1:], sub.y)
    other = denoising_data(x0, TIMES, seed=6)
    assert not np.allclose(full.target, other.target)


def test_tweedie_identity_by_monte_carlo():
    """E[−z/σ² | y] = s_t(y): E[(target − s_t(y)) h(y)] = 0 for test functions h, and the loss
    of the true score is d/σ² − E‖s_t‖² (Lemma F.1). Bands: 4 standard errors."""
    m = 40_000
    x0 = Q2.sample(m, 3)
    data = denoising_data(x0, [0.3], seed=9)
    y, g = data.y[0], data.target[0]
    s = Q2.at(0.3).score(y)
    for h in (np.ones(m), y[:, 0], y[:, 1], (y[:, 0] > 0).astype(float), np.tanh(y[:, 1])):
        prod = (g - s) * h[:, None]
        se = prod.std(axis=0) / np.sqrt(m)
        assert np.all(np.abs(prod.mean(axis=0)) < 4 * se)
    # the identity fails for a wrong score (the test can fail)
    wrong = (g - 1.1 * s) * y[:, :1]
    assert np.any(np.abs(wrong.mean(axis=0)) > 4 * wrong.std(axis=0) / np.sqrt(m))
    per = np.sum(g**2, axis=1) - np.sum(s**2, axis=1)
    loss = denoising_loss(lambda v: Q2.at(0.3).score(v), y, g)
    assert abs(loss - per.mean()) < 4 * per.std() / np.sqrt(m)
    g2 = np.sum(g**2, axis=1)  # E‖target‖² = d/σ²
    assert abs(g2.mean() - 2 / data.sigma2[0]) < 4 * g2.std() / np.sqrt(m)


def test_denoising_loss_closed_form():
    y = np.array([[0.0, 1.0], [2.0, -1.0]])
    target = np.array([[1.0, 1.0], [0.0, 0.0]])
    assert denoising_loss(lambda v: 2 * v, y, target) == pytest.approx((1 + 1 + 16 + 4) / 2)


# -- finite classes -----------------------------------------------------------------------------


def _brute_force(candidates, x0, times, seed):
    out = []
    for k, t in enumerate(times):
        xi = rng.normals(seed, len(x0), k, x0.shape[1])
        s = np.sqrt(-np.expm1(-2 * t))
        losses = []
        for c in candidates:
            total = 0.0
            for i in range(len(x0)):
                z = s * xi[i]
                yi = np.exp(-t) * x0[i] + z
                total += float(np.sum((np.asarray(c(yi[None], t))[0] + z / s**2) ** 2))
            losses.append(total / len(x0))
        out.append(losses)
    return np.array(out)


def test_finite_erm_equals_brute_force():
    x0 = Q2.sample(60, 1)
    shifts = [[0.3, 0.0], [0.0, 0.0], [-0.1, 0.2], [1.0, 1.0]]
    cands = [shifted(Q2, c) for c in shifts]
    fit = fit_finite(cands, x0, TIMES, seed=4)
    brute = _brute_force(cands, x0, TIMES, 4)
    np.testing.assert_allclose(fit.losses, brute, rtol=1e-10)
    np.testing.assert_array_equal(fit.index, np.argmin(brute, axis=1))
    np.testing.assert_allclose(fit.objective, brute.min(axis=1), rtol=1e-10)
    assert isinstance(fit, FiniteERM) and isinstance(fit, TrainedScore)


def test_finite_accepts_mixtures_and_reports_error():
    x0 = Q2.sample(200, 2)
    wrong = GaussianMixture([0.5, 0.5], [[-2.0, 0.0], [1.5, 1.0]], [0.5, 0.2])
    fit = fit_finite([wrong, Q2], x0, TIMES, seed=1, truth=Q2)
    assert np.all(fit.index == 1)
    x = Q2.sample(5, 3)
    np.testing.assert_allclose(fit.error(x, TIMES[0]), 0.0, atol=1e-12)
    np.testing.assert_allclose(fit(x, TIMES[1]), Q2.at(TIMES[1]).score(x))


def test_ties_first_and_random():
    x0 = np.zeros((10, 1))
    s = lambda x, t: -x / (1 - np.exp(-2 * t))  # the score of q_t for x0 = 0
    times = np.linspace(0.1, 2.0, 200)
    first = fit_finite([s, s, lambda x, t: s(x, t) + 1.0], x0, times, seed=0)
    assert np.all(first.ties == 2) and np.all(first.index == 0)
    rand = fit_finite([s, s, lambda x, t: s(x, t) + 1.0], x0, times, seed=0, tie_break="random")
    assert set(np.unique(rand.index)) == {0, 1}
    # uniform among the two: binomial(200, 1/2), 4-sigma band = 100 ± 28.3
    assert abs(int(np.sum(rand.index == 1)) - 100) < 28.3
    again = fit_finite([s, s, lambda x, t: s(x, t) + 1.0], x0, times, seed=0, tie_break="random")
    np.testing.assert_array_equal(rand.index, again.index)
    other = fit_finite([s, s, lambda x, t: s(x, t) + 1.0], x0, times, seed=0, tie_break="random",
                       tie_seed=1)
    assert not np.array_equal(rand.index, other.index)


def test_lemma_4_1_pair_is_indistinguishable_without_far_samples():
    """Lemma 4.1 / Figure 1: with data only near 0 the two scores give identical losses."""
    eta, R = 1e-3, 1e4
    p1 = GaussianMixture([1 - eta, eta], [[0.0], [-R]], 1.0)
    p2 = GaussianMixture([1 - eta, eta], [[0.0], [R]], 1.0)
    x0 = np.random.default_rng(0).standard_normal((100, 1))
    fit = fit_finite([p1, p2], x0, [0.5, 1.0], seed=3)
    assert np.all(fit.ties == 2)
    x0_far = np.vstack([x0, [[-R]]])
    fit_far = fit_finite([p1, p2], x0_far, [0.5, 1.0], seed=3)
    assert np.all(fit_far.ties == 1) and np.all(fit_far.index == 0)


# -- the mixture class --------------------------------------------------------------------------


@pytest.mark.parametrize("cov_type", ["isotropic", "diagonal"])
def test_mixture_objective_gradient_by_finite_differences(cov_type):
    gen = np.random.default_rng(0)
    K, d, m = 3, 2, 40
    P = n_params(K, d, cov_type)
    assert P == (K * (d + 2) if cov_type == "isotropic" else K * (2 * d + 1))
    theta = gen.normal(size=(2, P))
    Y, G = gen.normal(size=(2, m, d)), gen.normal(size=(2, m, d))
    s2 = np.array([0.3, 0.8])
    loss, grad = objective_and_grad(theta, Y, G, s2, K, cov_type)
    h = 1e-6
    for b in range(2):
        fd = np.empty(P)
        for p in range(P):
            e = np.zeros_like(theta)
            e[b, p] = h
            fd[p] = (objective_and_grad(theta + e, Y, G, s2, K, cov_type)[0][b]
                     - objective_and_grad(theta - e, Y, G, s2, K, cov_type)[0][b]) / (2 * h)
        # central differences: error O(h²·L''') + O(eps·L/h) ≈ 1e-9 relative here
        np.testing.assert_allclose(grad[b], fd, rtol=1e-6, atol=1e-7 * np.abs(grad[b]).max())
        # independent implementation: GaussianMixture.score inside denoising_loss
        q = params_to_mixture(theta[b], K, d, cov_type, s2[b])
        assert loss[b] == pytest.approx(denoising_loss(q.score, Y[b], G[b]), rel=1e-12)


@pytest.fixture(scope="module")
def mixture_fit():
    x0 = Q2.sample(1500, 5)
    return x0, fit_mixture(x0, TIMES, 2, restarts=2, seed=3, truth=Q2, init=Q2)


def test_mixture_fit_is_an_erm_below_the_truth(mixture_fit):
    """The truth is in the class, so the ERM objective is ≤ the truth's (both on the same data),
    and the fit is a stationary point."""
    x0, fit = mixture_fit
    data = denoising_data(x0, TIMES, seed=3)
    for k, t in enumerate(TIMES):
        at_truth = denoising_loss(Q2.at(t).score, data.y[k], data.target[k])
        assert fit.objective[k] <= at_truth * (1 + 1e-12)
        assert fit.objective[k] == pytest.approx(
            denoising_loss(fit.mixtures[k].score, data.y[k], data.target[k]), rel=1e-12)
    assert np.all(fit.grad_norm < 1e-5)
    assert isinstance(fit, MixtureFit)
    assert fit.params["means"].shape == (3, 2, 2) and fit.params["variances"].shape == (3, 2)
    # every model is a σ_t-smoothed mixture: variances ≥ σ_t²
    assert np.all(fit.params["variances"] >= data.sigma2[:, None])
    # the fit is close to the truth: L² score error well below the truth's scale
    x = Q2.sample(2000, 8)
    for t in TIMES:
        noise = np.random.default_rng(1).standard_normal(x.shape)
        xt = np.exp(-t) * x + np.sqrt(-np.expm1(-2 * t)) * noise
        err = np.mean(np.sum(fit.error(xt, t) ** 2, axis=1))
        scale = np.mean(np.sum(Q2.at(t).score(xt) ** 2, axis=1))
        assert err < 0.05 * scale


def test_mixture_fit_reproducible_and_lockstep_equal(mixture_fit):
    x0, fit = mixture_fit
    again = fit_mixture(x0, TIMES, 2, restarts=2, seed=3, truth=Q2, init=Q2)
    np.testing.assert_array_equal(fit.theta, again.theta)
    lock = fit_mixture(x0, TIMES, 2, restarts=2, seed=3, init=Q2, vectorize=True)
    np.testing.assert_allclose(lock.objective, fit.objective, rtol=1e-10)


def test_mixture_diagonal_and_restarts_only():
    x0 = Q2.sample(400, 6)
    fit = fit_mixture(x0, [0.5], 2, cov_type="diagonal", restarts=3, seed=0)
    assert fit.start_objectives.shape == (1, 3)
    assert fit.objective[0] == fit.start_objectives.min()
    assert fit.params["variances"].shape == (1, 2, 2)
    assert fit.n_params == 2 * (2 * 2 + 1)


def test_trained_score_plugs_into_the_sampler():
    from diffbounds.simulators import schedule

    times = schedule.exponential(2.0, 0.05, 8)
    x0 = Q2.sample(300, 1)
    fit = fit_finite([Q2], x0, times[:-1], seed=100)
    a = sample(fit, 64, times, seed=0, backend="numpy")
    b = sample(lambda x, t: Q2.at(t).score(x), 64, times, seed=0, backend="numpy", dim=2)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="^t: "):
        fit(x0[:2], 0.123)
    # within 1e-12 relative the time matches
    fit(x0[:2], times[0] * (1 + 1e-13))


# -- ReLU networks ------------------------------------------------------------------------------


def test_relu_affine_equals_box_constrained_least_squares():
    """Depth 1 is affine: projected gradient descent converges to the box-constrained
    least-squares solution (scipy.optimize.lsq_linear, BVLS) — the ℓ∞ projection's oracle."""
    pytest.importorskip("torch")
    x0 = GaussianMixture([1.0], [[0.5, -1.0]], 0.3).sample(300, 2)
    times = np.array([1.0, 0.3])
    for theta_max in (0.5, 50.0):
        fit = fit_relu(x0, times, 1, 1, theta_max, steps=2500, lr=0.05, optimizer="sgd", seed=1)
        data = denoising_data(x0, times, seed=1)
        for k in range(2):
            A = np.hstack([data.y[k], np.ones((300, 1))])
            best = sum(np.mean((A @ lsq_linear(A, data.target[k][:, j],
                                               bounds=(-theta_max, theta_max),
                                               method="bvls").x - data.target[k][:, j]) ** 2)
                       for j in range(2))
            assert fit.objective[k] == pytest.approx(best, rel=1e-8)
        assert np.all(fit.max_abs_param <= theta_max)
    assert np.all(fit.max_abs_param < 50.0)  # unconstrained case: the box is inactive


def test_relu_projection_seeds_and_stacking():
    pytest.importorskip("torch")
    x0 = Q2.sample(200, 4)
    kw = dict(steps=60, lr=0.05, seed=7)
    fit = fit_relu(x0, TIMES, 3, 8, 0.2, **kw)
    assert np.all(fit.max_abs_param <= 0.2)
    assert np.any(fit.max_abs_param == 0.2)  # the projection was active
    for net in fit.models:
        assert max(float(p.abs().max()) for p in net.parameters()) <= 0.2
    again = fit_relu(x0, TIMES, 3, 8, 0.2, **kw)
    np.testing.assert_array_equal(again.objective, fit.objective)
    np.testing.assert_array_equal(again.history, fit.history)
    # the stacked training of N nets equals training one time alone
    alone = fit_relu(x0, TIMES[1:2], 3, 8, 0.2, noise_steps=[1], **kw)
    assert alone.objective[0] == pytest.approx(fit.objective[1], rel=1e-9)
    assert fit.n_params == (2 + 1) * 8 + (8 + 1) * 8 + (8 + 1) * 2
    x = x0[:5]
    out = fit(x, TIMES[2])
    assert out.shape == (5, 2) and out.dtype == np.float64
    assert np.all(np.isfinite(sample(fit, 16, np.append(TIMES, 0.01), seed=1, backend="numpy")))
    mini = fit_relu(x0, TIMES[:1], 2, 4, 1.0, steps=20, batch_size=32, seed=1)
    assert mini.history is None and np.all(mini.max_abs_param <= 1.0)


def test_module_imports_and_advises_without_torch():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ImportError('blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import numpy as np\n"
        "from simulators.training import fit_relu, fit_finite\n"
        "try:\n"
        "    fit_relu(np.zeros((4, 2)), [0.5], 2, 4, 1.0)\n"
        "except ImportError as e:\n"
        "    assert \"pip install 'diffbounds[nn]'\" in str(e), e\n"
        "    print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "ok"


# -- bad input ----------------------------------------------------------------------------------


X0 = np.zeros((5, 2))


@pytest.mark.parametrize(
    ("call", "exc", "name"),
    [
        (lambda: denoising_data(np.zeros((0, 2)), [0.5], 0), ValueError, "x0"),
        (lambda: fit_finite([], X0, [0.5], 0), ValueError, "candidates"),
        (lambda: fit_finite([Q2.at(0.0).score, 3], X0, [0.5], 0), TypeError, "candidates"),
        (lambda: fit_finite([GaussianMixture([1.0], [[0.0]], 1.0)], X0, [0.5], 0), ValueError,
         "candidates"),
        (lambda: fit_finite([Q2], X0, [0.5], 0, truth=GaussianMixture([1.0], [[0.0]], 1.0)),
         ValueError, "truth"),
        (lambda: fit_finite([Q2], X0, [0.5], 0, tie_break="last"), ValueError, "tie_break"),
        (lambda: fit_finite([Q2], X0, [0.5, 0.5], 0), ValueError, "times"),
        (lambda: fit_finite([Q2], X0, [0.0], 0), ValueError, "times"),
        (lambda: fit_finite([Q2], X0, [0.5], -1), ValueError, "seed"),
        (lambda: fit_mixture(X0, [0.5], 0), ValueError, "n_components"),
        (lambda: fit_mixture(X0, [0.5], 2, cov_type="full"), ValueError, "cov_type"),
        (lambda: fit_mixture(X0, [0.5], 2, restarts=0), ValueError, "restarts"),
        (lambda: fit_mixture(X0, [0.5], 1, init=Q2), ValueError, "init"),
        (lambda: fit_relu(X0, [0.5], 2, 4, 0.0), ValueError, "theta_max"),
        (lambda: fit_relu(X0, [0.5], 2, 4, -1.0), ValueError, "theta_max"),
        (lambda: fit_relu(X0, [0.5], 0, 4, 1.0), ValueError, "depth"),
        (lambda: fit_relu(X0, [0.5], 2, 4, 1.0, batch_size=6), ValueError, "batch_size"),
        (lambda: denoising_loss(lambda v: v, np.zeros((3, 2)), np.zeros((3, 1))), ValueError,
         "target"),
    ],
)
def test_bad_input_names_the_argument(call, exc, name):
    with pytest.raises(exc, match=f"^{name}"):
        call()


def test_candidate_with_wrong_output_shape_is_named():
    with pytest.raises(ValueError, match=r"^candidates\[0\]"):
        fit_finite([lambda x, t: x[:, :1]], X0, [0.5], 0)


def test_error_needs_truth_and_points_need_d():
    fit = fit_finite([Q2], X0, [0.5], 0)
    with pytest.raises(NotImplementedError, match="truth"):
        fit.error(X0, 0.5)
    with pytest.raises(ValueError, match="^x: "):
        fit(np.zeros((3, 3)), 0.5)


@pytest.mark.parametrize("cov_type", ["isotropic", "diagonal"])
def test_fitted_mixtures_run_inside_the_kernels(cov_type):
    """A MixtureFit is a kernel score: sample() evaluates the fitted per-step mixtures in the
    compiled kernels; the result equals the generic (Python call per step) path."""
    from diffbounds.simulators import sample, schedule
    from diffbounds.simulators.scores import KernelScore

    truth = GaussianMixture([0.4, 0.6], [[-1.0, 0.5], [1.5, -0.5]], [0.3, 0.6])
    times = schedule.exponential(2.0, 0.05, 6)
    fit = fit_mixture(truth.sample(400, seed=1), times[:-1], 2, cov_type=cov_type, restarts=1,
                      seed=2)
    assert isinstance(fit, KernelScore)
    generic = sample(lambda x, t: fit(x, t), 50, times, seed=3, dim=2, backend="numpy")
    for backend in ("numpy", "cpu"):
        np.testing.assert_allclose(sample(fit, 50, times, seed=3, backend=backend), generic,
                                   rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match="^times"):
        sample(fit, 5, schedule.exponential(2.0, 0.05, 7))


def test_trained_mixture_plugs_into_exact_1d_laws():
    """A trained score is a score model for law1d too: the law of the chain driven by the fitted
    per-step mixtures equals the law driven by the same scores given as a plain callable, and
    with many samples it is close (TV) to the exact-score chain's law."""
    from diffbounds.simulators import schedule
    from diffbounds.simulators.law1d import output_law

    truth = GaussianMixture([0.5, 0.5], [[-1.5], [1.0]], [0.3, 0.4])
    times = schedule.exponential(4.0, 0.05, 8)
    fit = fit_mixture(truth.sample(4000, seed=1), times[:-1], 2, restarts=2, seed=2, truth=truth)
    grid = {"spacing": 0.02}
    law = output_law(fit, times, grid=grid)
    same = output_law(lambda x, t: fit(x, t), times, grid=grid)
    np.testing.assert_allclose(law.mass, same.mass, rtol=0, atol=1e-15)
    exact = output_law(truth, times, grid=grid)
    # Observed band: 4000 samples give per-step score errors of a few percent; 0.05 in TV.
    assert law.tv(truth.at(0.05)) < exact.tv(truth.at(0.05)) + 0.05
