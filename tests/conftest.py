"""Test configuration: Hypothesis profiles, the gpu marker's skip, matplotlib's Agg backend.

Hypothesis profiles derive from the built-in "ci" profile (derandomized, no database) with
``deadline=None`` because the first call of a Numba function compiles it. Choose one with
``HYPOTHESIS_PROFILE=dev|ci-diffbounds|thorough``; CI (``CI`` set) uses "ci-diffbounds".
"""

from __future__ import annotations

import os

import matplotlib
import pytest
from hypothesis import settings

matplotlib.use("Agg")

_ci = settings.get_profile("ci")
settings.register_profile("ci-diffbounds", parent=_ci, deadline=None, max_examples=25)
settings.register_profile("dev", parent=_ci, deadline=None, max_examples=25, derandomize=False)
settings.register_profile("thorough", parent=_ci, deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci-diffbounds" if os.environ.get("CI") else "dev"))


def _gpu_available() -> bool:
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return False
    try:
        from numba import cuda

        return bool(cuda.is_available())
    except Exception:
        return False


def pytest_collection_modifyitems(config, items):
    gpu_items = [i for i in items if "gpu" in i.keywords]
    if gpu_items and not _gpu_available():
        skip = pytest.mark.skip(reason="needs an NVIDIA GPU with numba-cuda (none available)")
        for item in gpu_items:
            item.add_marker(skip)
