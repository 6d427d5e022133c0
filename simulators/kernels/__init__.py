"""Compiled kernels. The only place that imports ``numba`` (and ``numba.cuda``, lazily)."""

from __future__ import annotations

import importlib

BACKENDS = ("numpy", "cpu", "cuda")
_MODULES = {"numpy": "numpy_backend", "cpu": "cpu", "cuda": "cuda"}


def get_backend(name: str):
    """The module implementing ``run_program`` / ``run_update`` for backend ``name``."""
    if name not in _MODULES:
        raise ValueError(f"backend: must be one of {BACKENDS}, got {name!r}")
    module = importlib.import_module(f"diffbounds.simulators.kernels.{_MODULES[name]}")
    if name == "cuda":
        module.require_cuda()
    return module
