"""diffbounds.bounds — every statement of Gupta, Parulekar, Price, Xun (NeurIPS 2024) and of its
predecessors as an exact SymPy expression, with its algebra, tables and a derivation check.

>>> from diffbounds import bounds
>>> bounds.get("gupta2024.theorem_1_2").exponent("epsilon")
-3
"""

# registration: _derived imports _gupta2024 itself, so the order below does not matter
from diffbounds.bounds import _derived, _gupta2024, _predecessors, checks, instances, symbols  # noqa: F401
from diffbounds.bounds._asymptotics import AsymptoticError, Dependence
from diffbounds.bounds._registry import UnknownKeyError, get, keys, register, statements
from diffbounds.bounds.algebra import (
    Crossover,
    compose,
    crossover,
    dependence,
    exponent,
    growth,
    log_power,
    ratio,
    soft_o,
)
from diffbounds.bounds.statement import QUANTITIES, STATUSES, Source, Statement
from diffbounds.bounds.tables import table

__all__ = [
    "AsymptoticError", "Crossover", "Dependence", "QUANTITIES", "STATUSES", "Source",
    "Statement", "UnknownKeyError", "compose", "crossover", "dependence", "exponent", "get",
    "growth", "keys", "log_power", "ratio", "register", "soft_o", "statements", "symbols",
    "table", "checks", "instances",
]
