"""ERM over the Gaussian-mixture score class, fitted with SciPy's L-BFGS-B.

At time t the class is the scores of K-component mixtures
``q = Σ_k w_k N(μ_k, diag(v_k))`` with ``v_k = σ_t² + e^{ρ_k}`` (every model is the σ_t-smoothing
of a mixture, which is the form of the true q_t when q_0 is a K-mixture), parametrized by
``θ = (α (K), μ (K·d), ρ (K) or (K·d))``, ``w = softmax(α)``: P = K(d + 2) parameters for
isotropic variances, K(2d + 1) for diagonal ones. The objective is paper eq. (4); its gradient
is analytic (:func:`objective_and_grad`).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
from scipy import optimize, special

from diffbounds.simulators._training._data import (
    check_data,
    check_int,
    check_positive_real,
    check_seed,
    check_steps,
    check_times,
    check_truth,
    sigma2,
    step_data,
)
from diffbounds.simulators._training._result import TrainedScore
from diffbounds.simulators.mixture import GaussianMixture
from diffbounds.simulators.scores import Family, KernelScore, stepwise_mixture_program

COV_TYPES = ("isotropic", "diagonal")
# Box bounds of L-BFGS-B on the logits and the log excess variances.
_LOGIT_BOUND = 30.0
_LOG_VAR_BOUNDS = (-40.0, 40.0)
# Largest (blocks × points × K × d) temporary of one objective evaluation.
_CHUNK_ELEMENTS = 1 << 16
_START_TAG = 0x6D69782D737461  # "mix-sta"


def n_params(n_components: int, dim: int, cov_type: str) -> int:
    """P = K(d + 2) (isotropic) or K(2d + 1) (diagonal)."""
    return n_components * (dim + 2 if cov_type == "isotropic" else 2 * dim + 1)


def unpack(theta: np.ndarray, K: int, d: int, cov_type: str):
    """Split parameter rows θ (B, P) into logits (B, K), means (B, K, d), ρ (B, K[, d])."""
    B = theta.shape[0]
    a = theta[:, :K]
    mu = theta[:, K:K + K * d].reshape(B, K, d)
    rho = theta[:, K + K * d:]
    if cov_type == "diagonal":
        rho = rho.reshape(B, K, d)
    return a, mu, rho


def _terms(a, mu, rho, Yt, Gt, s2, diagonal):
    """Sums over the points of one chunk: (Σ_i ‖e_i‖², ∂/∂α, ∂/∂μ, ∂/∂ρ), each gradient
    missing its factor 2; e = s_θ(y) − target. Layout: points last, ``Yt``/``Gt`` (B, d, n), so
    every operation runs over long contiguous rows and the K, d reductions add whole rows."""
    ev = np.exp(rho)
    v = (s2[:, None, None] if diagonal else s2[:, None]) + ev
    vb = (v if diagonal else v[:, :, None])[..., None]  # (B, K, 1 | d, 1)
    d = Yt.shape[1]
    logdet = np.log(v).sum(-1) if diagonal else d * np.log(v)
    logw = a - special.logsumexp(a, axis=1, keepdims=True)
    diff = Yt[:, None] - mu[..., None]  # (B, K, d, n)
    u = diff / vb
    ell = (logw - 0.5 * logdet)[..., None] - 0.5 * (diff * u).sum(axis=2)  # (B, K, n)
    ell -= ell.max(axis=1, keepdims=True)
    r = np.exp(ell)
    r /= r.sum(axis=1, keepdims=True)
    ru = r[:, :, None] * u  # (B, K, d, n)
    e = -ru.sum(axis=1) - Gt  # (B, d, n)
    loss = (e * e).sum(axis=(1, 2))
    eu = e[:, None] * u  # (B, K, d, n)
    A = eu.sum(axis=2)  # (B, K, n)
    c = r * (A - (r * A).sum(axis=1, keepdims=True))
    csum = c.sum(axis=-1)  # (B, K)
    cu = c[:, :, None] * u
    re = r[:, :, None] * e[:, None]
    g_a = -csum
    g_mu = -cu.sum(axis=-1) + re.sum(axis=-1) / vb[..., 0]
    g_v = (-0.5 * (cu * u).sum(axis=-1) + 0.5 * csum[..., None] / vb[..., 0]
           + (re * u).sum(axis=-1) / vb[..., 0])
    if not diagonal:
        g_v = g_v.sum(axis=-1)
    return loss, g_a, g_mu, g_v * ev


def objective_and_grad(theta, Y, G, s2, K: int, cov_type: str):
    """Per-block objective L_b(θ_b) = (1/m) Σ_i ‖s_{θ_b}(y_bi) − G_bi‖² and its gradient.

    ``theta`` (B, P), ``Y``/``G`` (B, m, d) inputs and targets, ``s2`` (B,) σ_t² of each block.
    Returns (L (B,), ∇L (B, P)). Exact formula: with u_k = (y − μ_k)/v_k, r = softmax_k ℓ_k,
    s = −Σ_k r_k u_k, e = s − target, a_k = ⟨e, u_k⟩, c_k = r_k (a_k − Σ_l r_l a_l):
    ∂/∂α_k = −(2/m) Σ c_k, ∂/∂μ_kj = (2/m) Σ (−c_k u_kj + r_k e_j / v_kj),
    ∂/∂v_kj = (2/m) Σ (−c_k (u_kj² − 1/v_kj)/2 + r_k e_j u_kj / v_kj), ∂v/∂ρ = e^ρ.
    """
    Y = np.asarray(Y, dtype=np.float64)
    G = np.asarray(G, dtype=np.float64)
    return _objective_t(np.asarray(theta, dtype=np.float64), transpose_points(Y),
                        transpose_points(G), np.asarray(s2, dtype=np.float64), K, cov_type)


def transpose_points(Y: np.ndarray) -> np.ndarray:
    """(B, m, d) → contiguous (B, d, m), the points-last layout of the objective."""
    return np.ascontiguousarray(np.swapaxes(Y, 1, 2))


def _objective_t(theta, Yt, Gt, s2, K, cov_type, tidx=None):
    """:func:`objective_and_grad` on points-last data ``Yt``/``Gt`` (N, d, m); block b uses the
    data of time ``tidx[b]`` (default b). Points are chunked by a size independent of the number
    of blocks, so a block's value does not depend on which other blocks are evaluated with it."""
    B = theta.shape[0]
    _, d, m = Yt.shape
    if tidx is None:
        tidx = np.arange(B)
    diagonal = cov_type == "diagonal"
    a, mu, rho = unpack(theta, K, d, cov_type)
    loss = np.zeros(B)
    g_a = np.zeros((B, K))
    g_mu = np.zeros((B, K, d))
    g_rho = np.zeros(rho.shape)
    nstep = min(m, max(1, _CHUNK_ELEMENTS // (K * d)))
    bstep = max(1, _CHUNK_ELEMENTS // (nstep * K * d))
    for b0 in range(0, B, bstep):
        bs = slice(b0, b0 + bstep)
        for i0 in range(0, m, nstep):
            ns = slice(i0, i0 + nstep)
            tb = tidx[bs]
            terms = _terms(a[bs], mu[bs], rho[bs], Yt[tb, :, ns], Gt[tb, :, ns], s2[tb],
                           diagonal)
            loss[bs] += terms[0]
            g_a[bs] += terms[1]
            g_mu[bs] += terms[2]
            g_rho[bs] += terms[3]
    grad = np.concatenate([g_a, g_mu.reshape(B, -1), g_rho.reshape(B, -1)], axis=1)
    return loss / m, grad * (2.0 / m)


def params_to_mixture(theta_row, K: int, d: int, cov_type: str, s2: float) -> GaussianMixture:
    a, mu, rho = unpack(theta_row[None], K, d, cov_type)
    w = special.softmax(a[0])
    v = s2 + np.exp(rho[0])
    return GaussianMixture(w / w.sum(), mu[0], v)


def _start(x0, t, K, cov_type, gen) -> np.ndarray:
    """A data-driven start: means at e^{−t}·(K random data points), equal weights, excess
    variances e^{−2t}·(half the data variance per coordinate)."""
    m, d = x0.shape
    idx = gen.choice(m, size=K, replace=m < K)
    mu = np.exp(-t) * x0[idx]
    var = x0.var(axis=0)
    floor = 1e-3 * (1.0 + float(np.mean(x0 * x0)))
    var = np.maximum(0.5 * var, floor)
    log_excess = np.log(var) - 2.0 * t
    rho = np.tile(log_excess, (K, 1)) if cov_type == "diagonal" else np.full(K, log_excess.mean())
    return np.concatenate([np.zeros(K), mu.ravel(), np.clip(rho, *_LOG_VAR_BOUNDS).ravel()])


def _start_from_mixture(init: GaussianMixture, t, cov_type) -> np.ndarray:
    q = init.at(t)
    a = np.clip(q.log_weights, -_LOGIT_BOUND, _LOGIT_BOUND)
    excess = np.exp(-2.0 * t) * init.eigvals  # (K, d): variances of q_t minus σ_t²
    rho = np.log(excess) if cov_type == "diagonal" else np.log(excess[:, 0])
    return np.concatenate([a, q.means.ravel(), np.clip(rho, *_LOG_VAR_BOUNDS).ravel()])


class MixtureFit(TrainedScore, KernelScore):
    """Result of :func:`fit_mixture`: a fitted mixture model of q_{t_k} per time.

    ``models[k]`` (= ``mixtures[k]``) is a ``GaussianMixture`` whose ``.score`` is the trained
    score at t_k. ``params`` holds the per-step parameters stacked for kernels:
    ``log_weights`` (N, K), ``means`` (N, K, d), ``variances`` (N, K) or (N, K, d).
    Diagnostics: ``start_objectives`` (N, S) objective reached from every start,
    ``best_start`` (N,), ``grad_norm`` (N,) max |∂(σ_t² L)/∂θ| at the returned parameters,
    ``n_iter`` (N,) L-BFGS-B iterations of the run that produced it.

    Parameters
    ----------
    cov_type : {"isotropic", "diagonal"}
        The class's covariance structure.
    n_components : int
        K.
    theta : numpy.ndarray
        Fitted parameter vectors, shape (N, P).
    start_objectives, best_start, grad_norm, n_iter : numpy.ndarray
        The diagnostics above (made read-only).
    **kw
        The fields of :class:`TrainedScore` (``models``: the fitted GaussianMixtures).
    """

    kind = "mixture"

    def kernel_program(self, times: np.ndarray, dtype: DTypeLike) -> tuple[Family, tuple]:
        """Evaluate the fitted mixtures inside the compiled sampler kernels (isotropic and
        diagonal classes): ``simulators.sample`` takes this path automatically; the schedule's
        step times must be the training times.

        Parameters
        ----------
        times : numpy.ndarray
            The schedule, shape (N' + 1,); every step time a training time.
        dtype : dtype_like
            float64 or float32.

        Returns
        -------
        (str, tuple)
            As :func:`~diffbounds.simulators.scores.stepwise_mixture_program`.

        Raises
        ------
        ValueError
            A step time that is not a training time.
        """
        return stepwise_mixture_program(self.mixtures, self.times, times, dtype)

    def __init__(self, *, cov_type: str, n_components: int, theta: np.ndarray,
                 start_objectives: np.ndarray, best_start: np.ndarray, grad_norm: np.ndarray,
                 n_iter: np.ndarray, **kw: Any) -> None:
        super().__init__(**kw)
        self.cov_type = cov_type
        self.n_components = n_components
        self.n_params = n_params(n_components, self.dim, cov_type)
        self.theta = theta
        self.start_objectives = start_objectives
        self.best_start = best_start
        self.grad_norm = grad_norm
        self.n_iter = n_iter
        self.mixtures = self.models
        self.params = {
            "log_weights": np.stack([q.log_weights for q in self.models]),
            "means": np.stack([q.means for q in self.models]),
            "variances": np.stack([q.variances for q in self.models]),
        }
        for arr in (theta, start_objectives, best_start, grad_norm, n_iter,
                    *self.params.values()):
            arr.flags.writeable = False

    def _evaluate(self, k, pts):
        return self.models[k].score(pts)


def fit_mixture(x0: ArrayLike, times: ArrayLike, n_components: int, *,
                cov_type: str = "isotropic", restarts: int = 4, seed: int = 0,
                truth: GaussianMixture | None = None, init: GaussianMixture | None = None,
                steps: ArrayLike | None = None, vectorize: bool = False, maxiter: int = 2000,
                tol: float = 1e-9) -> MixtureFit:
    """ERM of eq. (4) over K-component Gaussian-mixture scores at each time (Setting 1.1).

    Minimizes (1/m) Σ_i ‖s_θ(y_i) + z_i/σ_{t_k}²‖² with L-BFGS-B (analytic gradient) from
    ``restarts`` data-driven starts (plus ``init``, a GaussianMixture of x0's law pushed to q_t,
    when given) and keeps, per time, the start of least objective (ties: the earliest start).
    Start r at t_k depends only on (seed, r, x0, t_k).

    Parameters
    ----------
    x0 : array_like
        The m data points, shape (m, d).
    times : array_like
        The N training times, > 0, distinct.
    n_components : int
        K >= 1.
    cov_type : {"isotropic", "diagonal"}
        The class's covariance structure.
    restarts : int
        Number of data-driven starts, >= 0 (>= 1 without ``init``).
    seed : int
        Noise and start seed.
    truth : GaussianMixture or None
        Law of x0, enabling ``error(x, t)``.
    init : GaussianMixture or None
        A start in the class (K components in d dimensions), pushed to each q_t.
    steps : array_like of int or None
        Counter step index of each time; None for 0..N−1.
    vectorize : bool
        True runs the S·N independent L-BFGS-B optimizations (starts × times)
        in lockstep, one thread each, and answers their objective requests with one vectorized
        evaluation over all blocks still running; False runs them one after the other. Both
        minimize σ_{t_k}² L_k(θ) per block with the same optimizer, so they give the same fit
        (to rounding). (A single L-BFGS-B on the sum over times would share one line search
        between blocks and needs ~30x more iterations.) Measured on CPU (benchmarks/training.py)
        the lockstep is slower than False (the default): at m = 1e4 one evaluation is
        compute-bound, so batching saves little and thread hand-offs cost more.
        L-BFGS-B runs with BLAS limited to one thread when ``threadpoolctl`` is installed
        (OpenBLAS threads spinning inside its tiny dense algebra otherwise dominate the cost).
    maxiter, tol : int, float
        L-BFGS-B iteration cap and projected-gradient tolerance (on σ_t²-scaled objectives,
        which are O(d) at every t).

    Returns
    -------
    MixtureFit

    Raises
    ------
    TypeError, ValueError
        Naming the argument: bad data, times, counts, ``cov_type``, ``init`` outside the
        class, or no start at all.

    Examples
    --------
    >>> from diffbounds.simulators import GaussianMixture
    >>> from diffbounds.simulators.training import fit_mixture
    >>> truth = GaussianMixture([1.0], [[1.0]], 1.0)
    >>> fit = fit_mixture(truth.sample(400, seed=0), [0.5], 1, restarts=1, seed=1)
    >>> abs(float(fit.mixtures[0].means[0, 0]) - 1.0 * 0.6065) < 0.2  # e^{−t} μ at t = 0.5
    True
    """
    x0 = check_data(x0)
    m, d = x0.shape
    times = check_times(times)
    K = check_int("n_components", n_components, 1)
    if cov_type not in COV_TYPES:
        raise ValueError(f"cov_type: must be one of {COV_TYPES}, got {cov_type!r}")
    restarts = check_int("restarts", restarts, 0)
    seed = check_seed(seed)
    truth = check_truth(truth, d)
    steps = check_steps(steps, times.size)
    if init is not None:
        if not isinstance(init, GaussianMixture):
            raise TypeError(f"init: expected a GaussianMixture (law of x0), "
                            f"got {type(init).__name__}")
        if init.dim != d or init.n_components != K:
            raise ValueError(f"init: expected {K} components in d = {d}, got "
                             f"{init.n_components} in d = {init.dim}")
        if init.cov_type == "full" or (cov_type == "isotropic" and init.cov_type != "isotropic"):
            raise ValueError(f"init: a {init.cov_type!r} mixture is not in the {cov_type!r} "
                             "class")
    if restarts == 0 and init is None:
        raise ValueError("restarts: must be >= 1 (or pass init=)")
    if not isinstance(vectorize, (bool, np.bool_)):
        raise TypeError(f"vectorize: expected a bool, got {type(vectorize).__name__}")
    maxiter = check_int("maxiter", maxiter, 1)
    tol = check_positive_real("tol", tol)

    N = times.size
    s2 = sigma2(times)
    Y = np.empty((N, d, m))  # points-last layout of the objective
    G = np.empty((N, d, m))
    for k in range(N):
        y, g = step_data(x0, float(times[k]), int(steps[k]), seed)
        Y[k], G[k] = y.T, g.T

    P = n_params(K, d, cov_type)
    starts = []  # list of (N, P) arrays
    if init is not None:
        starts.append(np.stack([_start_from_mixture(init, float(t), cov_type) for t in times]))
    for r in range(restarts):
        rows = []
        for t in times:
            gen = np.random.default_rng([seed, r, _START_TAG])
            rows.append(_start(x0, float(t), K, cov_type, gen))
        starts.append(np.stack(rows))

    lower = np.concatenate([np.full(K, -_LOGIT_BOUND), np.full(K * d, -np.inf),
                            np.full(P - K - K * d, _LOG_VAR_BOUNDS[0])])
    upper = np.concatenate([np.full(K, _LOGIT_BOUND), np.full(K * d, np.inf),
                            np.full(P - K - K * d, _LOG_VAR_BOUNDS[1])])
    options = {"maxiter": maxiter, "gtol": tol, "ftol": 1e-15, "maxcor": 20}

    S = len(starts)
    theta0 = np.concatenate(starts)  # (S·N, P): block b = (start b // N, time b % N)
    tidx = np.tile(np.arange(N), S)
    with _single_threaded_blas():
        flat, flat_iters = _optimize_all(theta0, tidx, Y, G, s2, K, cov_type, lower, upper,
                                         options, bool(vectorize))
    thetas = flat.reshape(S, N, P)
    iters = flat_iters.reshape(S, N)
    objs = _objective_t(flat, Y, G, s2, K, cov_type, tidx)[0].reshape(S, N)
    best = np.argmin(objs, axis=0)  # first minimum: earliest start on ties
    cols = np.arange(N)
    theta = thetas[best, cols]
    objective, grad = _objective_t(theta, Y, G, s2, K, cov_type)
    grad_norm = np.max(np.abs(grad * s2[:, None]), axis=1)
    mixtures = [params_to_mixture(theta[k], K, d, cov_type, float(s2[k])) for k in range(N)]
    return MixtureFit(cov_type=cov_type, n_components=K, theta=theta,
                      start_objectives=objs.T.copy(), best_start=best.astype(np.int64),
                      grad_norm=grad_norm, n_iter=iters[best, cols], times=times, steps=steps,
                      models=mixtures, objective=objective, dim=d, m=m, seed=seed, truth=truth)


@contextlib.contextmanager
def _single_threaded_blas():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it BLAS keeps its thread count
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _optimize_all(theta0, tidx, Y, G, s2, K, cov_type, lower, upper, options, lockstep):
    if lockstep:
        return _minimize_lockstep(theta0, tidx, Y, G, s2, K, cov_type, lower, upper, options)
    flat = np.empty_like(theta0)
    iters = np.empty(theta0.shape[0], dtype=np.int64)
    for b in range(theta0.shape[0]):
        sl = slice(b, b + 1)
        flat[sl], iters[sl] = _minimize(theta0[sl], Y[tidx[sl]], G[tidx[sl]], s2[tidx[sl]], K,
                                        cov_type, lower, upper, options)
    return flat, iters


def _minimize(theta0, Y, G, s2, K, cov_type, lower, upper, options):
    """One L-BFGS-B run on σ_t² L(θ) for one block ``theta0`` (1, P); Y, G (1, d, m)."""
    return _minimize_block(theta0[0], lambda th: _scaled(th[None], Y, G, s2, K, cov_type, None),
                           lower, upper, options)


def _scaled(theta, Y, G, s2, K, cov_type, tidx):
    loss, grad = _objective_t(theta, Y, G, s2, K, cov_type, tidx)
    w = s2 if tidx is None else s2[tidx]
    return w * loss, grad * w[:, None]


def _minimize_block(x0, fun, lower, upper, options):
    def scalar(x):
        f, g = fun(x)
        return float(f[0]), g[0]

    res = optimize.minimize(scalar, x0, jac=True, method="L-BFGS-B",
                            bounds=optimize.Bounds(lower, upper), options=options)
    if not np.all(np.isfinite(res.x)):  # pragma: no cover - bounded parameters stay finite
        raise FloatingPointError("fit_mixture: L-BFGS-B returned non-finite parameters")
    return res.x[None], np.array([res.nit])


class _Lockstep:
    """Serves the objective requests of B independent optimizers (one thread each) in batches:
    when every running optimizer is waiting, one vectorized evaluation answers all of them."""

    def __init__(self, evaluate, n_blocks):
        self.evaluate = evaluate  # (block indices, thetas (n, P)) -> (f (n,), g (n, P))
        self.cv = threading.Condition()
        self.pending: dict[int, np.ndarray] = {}
        self.results: dict[int, tuple] = {}
        self.running = n_blocks
        self.error: BaseException | None = None

    def request(self, b, theta):
        with self.cv:
            self.pending[b] = theta
            self._flush()
            while b not in self.results:
                if self.error is not None:
                    raise RuntimeError("fit_mixture: a batched evaluation failed") from self.error
                self.cv.wait()
            f, g = self.results.pop(b)
        return f[None], g[None]

    def finished(self):
        with self.cv:
            self.running -= 1
            self._flush()

    def _flush(self):
        if not self.pending or len(self.pending) < self.running:
            return
        idx = np.array(sorted(self.pending))
        thetas = np.stack([self.pending[b] for b in idx])
        self.pending = {}
        try:
            f, g = self.evaluate(idx, thetas)
        except BaseException as exc:  # surfaced in every waiting thread and in the caller
            self.error = exc
        else:
            for i, b in enumerate(idx):
                self.results[int(b)] = (f[i], g[i])
        self.cv.notify_all()


def _minimize_lockstep(theta0, tidx, Y, G, s2, K, cov_type, lower, upper, options):
    """Independent L-BFGS-B runs for every block of ``theta0`` (B, P), their objective
    evaluations batched into one vectorized pass over all blocks still running."""
    B = theta0.shape[0]
    out = np.empty_like(theta0)
    iters = np.empty(B, dtype=np.int64)
    errors: list[BaseException] = []
    lock = _Lockstep(lambda idx, th: _scaled(th, Y, G, s2, K, cov_type, tidx[idx]), B)

    def run(b):
        try:
            x, nit = _minimize_block(theta0[b], lambda th: lock.request(b, th), lower, upper,
                                     options)
            out[b], iters[b] = x[0], nit[0]
        except BaseException as exc:
            errors.append(exc)
        finally:
            lock.finished()

    threads = [threading.Thread(target=run, args=(b,), daemon=True) for b in range(B)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if lock.error is not None:
        raise lock.error
    if errors:
        raise errors[0]
    return out, iters
