"""k-diffusion-style samplers on exact scores (simulators.adapters.kdiffusion).

Which k-diffusion code runs: the real ``k_diffusion.sampling`` when the package imports; if
only the distribution is installed without its training dependencies (``pip install
--no-deps k-diffusion``: its ``__init__`` imports scikit-image, torchvision, clean-fid, ...),
the real ``sampling.py`` file is loaded with a minimal ``k_diffusion.utils`` (its one helper
used by these samplers, ``append_dims``) and empty ``torchdiffeq``/``torchsde`` stand-ins
(used only by the adaptive and Brownian-tree samplers, not here). Without the distribution
the tests are skipped; CI's test job installs it with --no-deps (.ci/kdiffusion-no-deps.txt).

Oracles:
- Euler in the VE σ-parametrisation is exactly DDIM (η = 0) in OU time (algebra in the
  adapter's docstring): k-diffusion's ``sample_euler`` on σ_k = √(e^{2τ_k} − 1) equals the
  project's ``ddim`` on τ_k to floating-point accuracy (1e-12).
- ``sample_heun`` (Karras et al. 2022, Alg. 1) is second order: the exact push-forward law's TV
  to q_{t_stop} over N = 10 … 160 has order 2 within h + ``ORDER_TOLERANCE``.
"""

import importlib.util
import sys
import types

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from diffbounds.claims.sampler_order import ORDER_TOLERANCE  # noqa: E402
from diffbounds.claims.verdict import loglog_slope  # noqa: E402
from diffbounds.simulators import GaussianMixture, sample, schedule  # noqa: E402
from diffbounds.simulators.adapters import kdiffusion as K  # noqa: E402

MIX = GaussianMixture([0.5, 0.5], [[-2.0], [1.5]], [0.25, 0.5])


def _load_sampling():
    try:
        import k_diffusion.sampling as sampling
        return sampling
    except ImportError:
        pass
    spec = importlib.util.find_spec("k_diffusion")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("k-diffusion is not installed")
    path = spec.submodule_search_locations[0] + "/sampling.py"
    pkg = types.ModuleType("_kd_stub")
    pkg.__path__ = []
    utils = types.ModuleType("_kd_stub.utils")
    utils.append_dims = lambda x, n: x[(...,) + (None,) * (n - x.ndim)]
    saved = {k: sys.modules.get(k) for k in ("_kd_stub", "_kd_stub.utils", "torchdiffeq",
                                             "torchsde")}
    sys.modules.update({"_kd_stub": pkg, "_kd_stub.utils": utils})
    if importlib.util.find_spec("torchdiffeq") is None:
        tde = types.ModuleType("torchdiffeq")
        tde.odeint = None
        sys.modules["torchdiffeq"] = tde
    if importlib.util.find_spec("torchsde") is None:
        sys.modules["torchsde"] = types.ModuleType("torchsde")
    try:
        mspec = importlib.util.spec_from_file_location("_kd_stub.sampling", path)
        mod = importlib.util.module_from_spec(mspec)
        mspec.loader.exec_module(mod)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return mod


@pytest.fixture(scope="module")
def sampling():
    return _load_sampling()


def test_sample_euler_is_ddim(sampling):
    times = np.append(schedule.exponential(4.0, 1e-2, 25), 0.0)
    y = K.run_kdiffusion(sampling.sample_euler, MIX, 500, K.sigmas_from_times(times), seed=4)
    x = sample(MIX, 500, times, seed=4, sampler="ddim")
    assert np.max(np.abs(y - x)) < 1e-12


def test_sample_heun_second_order(sampling, capsys):
    from diffbounds.simulators.adapters.diffusers import pushforward_law

    Ns = (10, 20, 40, 80, 160)
    tvs = []
    for N in Ns:
        times = schedule.exponential(6.0, 1e-2, N)
        sig = K.sigmas_from_times(times)

        def run(z, sig=sig):
            return K.run_kdiffusion(sampling.sample_heun, MIX, z.shape[0], sig, x_init=z)

        tvs.append(pushforward_law(run, nodes=8001, start=MIX.at(float(times[0]))).tv(
            MIX.at(float(times[-1]))))
    slope, h = loglog_slope(Ns, tvs)
    with capsys.disabled():
        print(f"\n[k-diffusion] sample_heun: TV order {-slope:.3f} ± {h:.3f} over N = {Ns}")
    assert abs(slope + 2.0) <= h + ORDER_TOLERANCE


def test_conversions_and_bad_input():
    t = np.array([0.0, 0.3, 2.0])
    np.testing.assert_allclose(K.times_from_sigmas(K.sigmas_from_times(t)), t, atol=1e-15)
    with pytest.raises(ValueError, match="sigmas"):
        K.run_kdiffusion(lambda *a, **k: a[1], MIX, 10, [1.0, 2.0])
    with pytest.raises(TypeError, match="sample_fn"):
        K.run_kdiffusion(3, MIX, 10, [2.0, 1.0])
    den = K.exact_denoiser(MIX)
    with pytest.raises(ValueError, match="one finite sigma"):
        den(torch.zeros(2, 1, dtype=torch.float64), torch.tensor([1.0, 2.0]))
