"""Adapters that run other libraries' samplers against this project's exact scores.

* ``adapters.diffusers``: diffusers schedulers (``SchedulerMixin``: ``set_timesteps``,
  ``scale_model_input``, ``step``) fed the exact or perturbed mixture score converted to the
  scheduler's prediction type (epsilon / v_prediction / sample).
* ``adapters.kdiffusion``: k-diffusion-style sampler functions ``sample_x(model, x, sigmas,
  ...)`` fed the exact denoiser D(x, σ) in the variance-exploding parametrisation.

The submodules import their library lazily; without it they raise an ImportError that says
which extra to install (``pip install 'diffbounds[diffusers]'``). Nothing here is imported by
``diffbounds.simulators`` itself.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise an ImportError naming the extra that provides it.

    Parameters
    ----------
    module : str
        The module to import, e.g. "torch".
    extra : str
        The extra of ``diffbounds`` that installs it, e.g. "diffusers".

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    ImportError
        The module is missing; the message says ``pip install 'diffbounds[EXTRA]'``.

    Examples
    --------
    >>> require("math", "none").sqrt(4.0)
    2.0
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{module} is needed for this adapter ({exc}); install it with "
                          f"pip install 'diffbounds[{extra}]'") from None
