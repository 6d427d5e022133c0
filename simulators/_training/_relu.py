"""ERM over ReLU networks φ_θ of depth D with ‖θ‖_∞ ≤ Θ (paper Setting 1.1, Lemma A.1).

Optional: needs PyTorch (``pip install 'diffbounds[nn]'``); imported only when a network is
requested. The N networks (one per training time) are trained together as one stacked model
with batched matrix products: the loss is the sum of the per-time objectives and Adam/SGD act
elementwise, so each network follows exactly the trajectory it would follow alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from diffbounds.simulators._training._data import (
    check_data,
    check_int,
    check_positive_real,
    check_seed,
    check_steps,
    check_times,
    check_truth,
    step_data,
)
from diffbounds.simulators._training._result import TrainedScore
from diffbounds.simulators.mixture import GaussianMixture

OPTIMIZERS = ("adam", "sgd")
_INIT_TAG = 0x72656C752D696E  # "relu-in"
_DTYPES = ("float32", "float64")


def require_torch():
    """Import torch, or raise ImportError saying how to install the optional extra."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            "fit_relu needs PyTorch, an optional dependency: pip install 'diffbounds[nn]' "
            "(or pip install torch==2.13.0 for the CPU build)") from exc
    return torch


def layer_sizes(dim: int, depth: int, width: int) -> list[tuple[int, int]]:
    """(fan_in, fan_out) of the D affine layers: d → width → … → width → d (D − 1 ReLUs)."""
    sizes = [dim] + [width] * (depth - 1) + [dim]
    return list(zip(sizes[:-1], sizes[1:], strict=True))


def count_params(dim: int, depth: int, width: int) -> int:
    """P = Σ_layers (fan_in + 1)·fan_out.

    Parameters
    ----------
    dim : int
        Input and output dimension d.
    depth : int
        Number of affine layers D.
    width : int
        Hidden units per layer.

    Returns
    -------
    int
        The number of parameters P.

    Examples
    --------
    >>> count_params(2, 2, 8)  # (2 + 1)·8 + (8 + 1)·2
    42
    """
    return sum((i + 1) * o for i, o in layer_sizes(dim, depth, width))


def _init_params(seed: int, step: int, sizes, theta_max: float) -> list[np.ndarray]:
    """PyTorch's default Linear init U(−1/√fan_in, 1/√fan_in) for weights (stored fan_in ×
    fan_out) and biases, drawn from NumPy with key (seed, step), then clamped to [−Θ, Θ]."""
    gen = np.random.default_rng([seed, step, _INIT_TAG])
    out = []
    for fan_in, fan_out in sizes:
        bound = 1.0 / np.sqrt(fan_in)
        out.append(np.clip(gen.uniform(-bound, bound, (fan_in, fan_out)), -theta_max, theta_max))
        out.append(np.clip(gen.uniform(-bound, bound, (1, fan_out)), -theta_max, theta_max))
    return out


class ReLUFit(TrainedScore):
    """Result of :func:`fit_relu`: one ReLU network per training time.

    ``models[k]`` is a ``torch.nn.Sequential`` (Linear/ReLU, in eval mode, on ``device``);
    ``model(x, t)`` runs it without gradients and returns float64 NumPy. Extra attributes:
    ``depth``, ``width``, ``theta_max``, ``n_params`` (P), ``max_abs_param`` (N,) = ‖θ_k‖_∞,
    ``history`` (iterations, N) full-batch objective before each step (None with mini-batches),
    ``device``, ``dtype``. Evaluation is the generic path of ``simulators.sample``: one Python
    call per sampler step, O(n·P) flops, plus a host↔device copy of (n, d) on CUDA.

    Parameters
    ----------
    depth, width : int
        The architecture.
    theta_max : float
        Θ, the ℓ∞ bound of the parameters.
    max_abs_param : numpy.ndarray
        ‖θ_k‖_∞ per time, shape (N,).
    history : numpy.ndarray or None
        Full-batch objective per iteration, shape (iterations, N).
    device : str or torch.device
        Where the networks live.
    dtype : str
        "float64" or "float32".
    **kw
        The fields of :class:`TrainedScore`.
    """

    kind = "relu"

    def __init__(self, *, depth: int, width: int, theta_max: float, max_abs_param: np.ndarray,
                 history: np.ndarray | None, device: Any, dtype: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.depth = depth
        self.width = width
        self.theta_max = theta_max
        self.n_params = count_params(self.dim, depth, width)
        self.max_abs_param = max_abs_param
        self.history = history
        self.device = device
        self.dtype = dtype

    def _evaluate(self, k, pts):
        torch = require_torch()
        net = self.models[k]
        with torch.no_grad():
            x = torch.as_tensor(pts, dtype=getattr(torch, self.dtype), device=self.device)
            return net(x).to("cpu", torch.float64).numpy()


def _resolve_device(torch, device):
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: {device!r} requested but CUDA is not available to torch")
    return dev


def fit_relu(x0: ArrayLike, times: ArrayLike, depth: int, width: int, theta_max: float, *,
             steps: int = 2000, lr: float = 1e-3, seed: int = 0, optimizer: str = "adam",
             batch_size: int | None = None, device: str = "cpu", dtype: str = "float64",
             truth: GaussianMixture | None = None,
             noise_steps: ArrayLike | None = None) -> ReLUFit:
    """Train φ_θ ∈ F(D, P, Θ) per time on eq. (4) with ‖θ‖_∞ ≤ Θ (Setting 1.1, Lemma A.1).

    ``depth`` D affine layers of ``width`` hidden units (D − 1 ReLUs; D = 1 is affine), so
    P = Σ (fan_in + 1)·fan_out. Each of ``steps`` iterations takes one Adam (or SGD) step of
    learning rate ``lr`` on the full batch (or a mini-batch of ``batch_size`` drawn by a torch
    generator seeded with ``seed``) and then projects onto the ℓ∞ ball: θ ← clamp(θ, −Θ, Θ).
    The returned parameters are the iterate of least full-batch objective seen (the last one
    with mini-batches). Initialization depends only on (seed, noise step of t_k); the data are
    :func:`denoising_data` with ``noise_steps`` (default 0..N−1). ``device``: "cpu" (default),
    "cuda" or "auto" (CUDA when available). Needs torch: ``pip install 'diffbounds[nn]'``.

    Parameters
    ----------
    x0 : array_like
        The m data points, shape (m, d).
    times : array_like
        The N training times, > 0, distinct.
    depth, width : int
        D >= 1 affine layers of ``width`` >= 1 hidden units.
    theta_max : float
        Θ > 0.
    steps : int
        Optimizer iterations, >= 1.
    lr : float
        Learning rate, > 0.
    seed : int
        Noise, initialization and mini-batch seed.
    optimizer : {"adam", "sgd"}
        The optimizer.
    batch_size : int or None
        Mini-batch size in [1, m]; None for the full batch.
    device : str
        "cpu", "cuda", "cuda:<i>" or "auto".
    dtype : {"float64", "float32"}
        Torch dtype of the networks.
    truth : GaussianMixture or None
        Law of x0, enabling ``error(x, t)``.
    noise_steps : array_like of int or None
        Counter step index of each time's noise; None for 0..N−1.

    Returns
    -------
    ReLUFit

    Raises
    ------
    TypeError, ValueError
        Naming the argument; ValueError for a CUDA device torch cannot use.
    ImportError
        torch is not installed.
    """
    x0 = check_data(x0)
    m, d = x0.shape
    times = check_times(times)
    depth = check_int("depth", depth, 1)
    width = check_int("width", width, 1)
    theta_max = check_positive_real("theta_max", theta_max)
    n_iter = check_int("steps", steps, 1)
    lr = check_positive_real("lr", lr)
    seed = check_seed(seed)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer: must be one of {OPTIMIZERS}, got {optimizer!r}")
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, 1, m)
    if dtype not in _DTYPES:
        raise ValueError(f"dtype: must be one of {_DTYPES}, got {dtype!r}")
    if not isinstance(device, str) or not device:
        raise TypeError(f"device: expected 'cpu', 'cuda', 'cuda:<i>' or 'auto', got {device!r}")
    truth = check_truth(truth, d)
    noise_steps = check_steps(noise_steps, times.size)
    torch = require_torch()
    dev = _resolve_device(torch, device)
    tdt = getattr(torch, dtype)

    N = times.size
    Y = np.empty((N, m, d))
    G = np.empty((N, m, d))
    for k in range(N):
        Y[k], G[k] = step_data(x0, float(times[k]), int(noise_steps[k]), seed)
    Yt = torch.as_tensor(Y, dtype=tdt, device=dev)
    Gt = torch.as_tensor(G, dtype=tdt, device=dev)

    sizes = layer_sizes(d, depth, width)
    inits = [_init_params(seed, int(s), sizes, theta_max) for s in noise_steps]
    params = [torch.nn.Parameter(torch.as_tensor(np.stack([p[i] for p in inits]), dtype=tdt,
                                                 device=dev)) for i in range(2 * depth)]
    opt = (torch.optim.Adam(params, lr=lr) if optimizer == "adam"
           else torch.optim.SGD(params, lr=lr))
    gen = torch.Generator(device="cpu").manual_seed(seed % 2**63)

    def forward(h):
        for i in range(depth):
            h = torch.baddbmm(params[2 * i + 1], h, params[2 * i])
            if i < depth - 1:
                h = torch.relu(h)
        return h

    full = batch_size is None
    best = [p.detach().clone() for p in params]
    best_loss = torch.full((N,), float("inf"), dtype=tdt, device=dev)
    history = np.empty((n_iter, N)) if full else None
    rows = torch.arange(N, device=dev)[:, None]
    for it in range(n_iter + (1 if full else 0)):
        if full:
            per_t = ((forward(Yt) - Gt) ** 2).sum(-1).mean(-1)  # (N,)
            with torch.no_grad():
                better = per_t < best_loss
                best_loss = torch.where(better, per_t, best_loss)
                for p, b in zip(params, best, strict=True):
                    b.copy_(torch.where(better.view(-1, *[1] * (p.dim() - 1)), p, b))
            if it == n_iter:
                break
            assert history is not None  # allocated whenever full
            history[it] = per_t.detach().to("cpu", torch.float64).numpy()
        else:
            idx = torch.randint(m, (N, batch_size), generator=gen).to(dev)
            per_t = ((forward(Yt[rows, idx]) - Gt[rows, idx]) ** 2).sum(-1).mean(-1)
        opt.zero_grad(set_to_none=True)
        per_t.sum().backward()
        opt.step()
        with torch.no_grad():
            for p in params:
                p.clamp_(-theta_max, theta_max)
    final = best if full else [p.detach() for p in params]

    models, objective, max_abs = [], np.empty(N), np.empty(N)
    for k in range(N):
        layers = []
        for i, (fan_in, fan_out) in enumerate(sizes):
            lin = torch.nn.Linear(fan_in, fan_out, dtype=tdt, device=dev)
            with torch.no_grad():
                lin.weight.copy_(final[2 * i][k].T)
                lin.bias.copy_(final[2 * i + 1][k, 0])
            lin.requires_grad_(False)
            layers.append(lin)
            if i < depth - 1:
                layers.append(torch.nn.ReLU())
        net = torch.nn.Sequential(*layers).eval()
        models.append(net)
        max_abs[k] = max(float(final[i][k].abs().max()) for i in range(2 * depth))
        with torch.no_grad():
            pred = net(Yt[k]).to("cpu", torch.float64).numpy()
        diff = pred - G[k]
        objective[k] = float(np.einsum("ij,ij->", diff, diff) / m)
    return ReLUFit(depth=depth, width=width, theta_max=theta_max, max_abs_param=max_abs,
                   history=history, device=str(dev), dtype=dtype, times=times,
                   steps=noise_steps, models=models, objective=objective, dim=d, m=m,
                   seed=seed, truth=truth)
