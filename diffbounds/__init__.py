"""diffbounds — numerical verification of the theory of diffusion-model training.

Built around Gupta, Parulekar, Price, Xun, *Improved Sample Complexity Bounds for Diffusion Model
Training* (NeurIPS 2024). The subpackages follow the one-way data flow of the project:

* :mod:`diffbounds.bounds` — THEORY: every statement as an exact SymPy expression;
* :mod:`diffbounds.simulators` — MEASUREMENT: mixtures with exact scores, samplers, exact laws,
  score errors with exactly known quantiles, metrics, training;
* :mod:`diffbounds.claims` — COMPARISON: a statement, a measurement and a verdict;
* :mod:`diffbounds.figures` — one module per figure;
* :mod:`diffbounds.cli` — the ``diffbounds`` command (the only module that imports them all).

Subpackages are imported on first attribute access, so ``import diffbounds`` is cheap:

>>> import diffbounds
>>> diffbounds.bounds.get("gupta2024.theorem_1_2").exponent("epsilon")
-3
"""

from __future__ import annotations

import importlib
from typing import Any

from diffbounds._version import __version__

_SUBPACKAGES = ("bounds", "simulators", "claims", "figures", "benchmarks", "cli")

__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"diffbounds.{name}")
    raise AttributeError(f"module 'diffbounds' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
