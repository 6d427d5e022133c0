"""Score-matching training in Setting 1.1 of Gupta, Parulekar, Price, Xun (NeurIPS 2024).

m data points x_i ~ q_0 are reused at every diffusion time t_k; each t_k gets fresh
counter-based noise z_i ~ N(0, σ_{t_k}² I) and its own model, the ERM of paper eq. (4):

    ŝ_{t_k} = argmin_{f ∈ F} (1/m) Σ_i ‖f(e^{−t_k} x_i + z_i) + z_i/σ_{t_k}²‖².

Hypothesis classes:

* :func:`fit_finite` — an explicit finite class, exact ERM by enumeration (Lemma A.2);
* :func:`fit_mixture` — K-component Gaussian-mixture scores (isotropic or diagonal), SciPy
  L-BFGS-B with analytic gradients and restarts;
* :func:`fit_relu` — ReLU networks of depth D with ‖θ‖_∞ ≤ Θ (Lemma A.1), PyTorch, the optional
  extra ``diffbounds[nn]``; this module imports without torch.

Every result is a :class:`TrainedScore`: a score model ``model(x, t)`` for t in its training
times, accepted by ``simulators.sample`` on the generic (one call per step) path, with
``error(x, t)`` when trained with ``truth=``. Train with a seed different from the sampler's
(both draw counter-based noise indexed by step).
"""

from diffbounds.simulators._training._data import DenoisingData, denoising_data, denoising_loss
from diffbounds.simulators._training._finite import FiniteERM, fit_finite
from diffbounds.simulators._training._mixture import MixtureFit, fit_mixture
from diffbounds.simulators._training._relu import ReLUFit, count_params, fit_relu
from diffbounds.simulators._training._result import TrainedScore

__all__ = [
    "DenoisingData",
    "FiniteERM",
    "MixtureFit",
    "ReLUFit",
    "TrainedScore",
    "count_params",
    "denoising_data",
    "denoising_loss",
    "fit_finite",
    "fit_mixture",
    "fit_relu",
]
