"""Shared SymPy symbols of every statement, the direction of each asymptotic regime, and the
reference point at which every registered statement is documented to evaluate.

All symbols are positive. Absolute constants (the ``C`` of ``≲`` and of "sufficiently small
constant") are separate positive symbols ``C, C_1, C_2, ...``; :func:`is_constant` tells them apart.
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "d", "P", "D", "Theta", "epsilon", "gamma", "delta", "delta_score", "delta_train", "m_2",
    "N", "T", "sigma", "t", "R", "S", "eta", "m", "x_0", "kappa",
    "H", "L", "epsilon_score", "beta", "C", "C_1", "C_2", "C_3",
    "SYMBOLS", "CONSTANTS", "DIRECTION", "REFERENCE_POINT", "DESCRIPTION",
    "as_symbol", "is_constant", "constant", "direction",
]


def _pos(name: str) -> sp.Symbol:
    return sp.Symbol(name, positive=True)


# --- the shared parameters -------------------------------------------------------------------
d = _pos("d")                      # ambient dimension
P = _pos("P")                      # number of network parameters
D = _pos("D")                      # network depth
Theta = _pos("Theta")              # bound on each parameter, ||theta||_inf <= Theta (Theta > 1)
epsilon = _pos("epsilon")          # accuracy (TV, or per-step score accuracy eps/sigma_t)
gamma = _pos("gamma")              # early-stopping / Wasserstein accuracy (gamma m_2)
delta = _pos("delta")              # a probability: quantile budget (Lemma 1.3) or failure (Thm C.2)
delta_score = _pos("delta_score")  # quantile parameter of D^delta
delta_train = _pos("delta_train")  # training failure probability
m_2 = _pos("m_2")                  # m_2^2 = E||x||^2 under q_0
N = _pos("N")                      # number of discretization steps
T = _pos("T")                      # time horizon
sigma = _pos("sigma")              # noise level sigma_t
t = _pos("t")                      # diffusion time
R = _pos("R")                      # radius / separation
S = _pos("S")                      # separation in Lemma 4.2
eta = _pos("eta")                  # mixture weight
m = _pos("m")                      # number of training samples
x_0 = _pos("x_0")                  # crossover point in Lemma 4.2
kappa = _pos("kappa")              # step-size parameter of Benton et al.
# --- extra parameters used by a few statements ------------------------------------------------
H = _pos("H")                      # size |H| of a finite hypothesis class (Lemma A.2)
L = _pos("L")                      # Lipschitz constant of the score (Chen et al. 2023)
epsilon_score = _pos("epsilon_score")  # integrated L2 score error (Benton et al. Thm 1)
beta = _pos("beta")                # Besov smoothness (Oko et al. 2023)

# --- unknown absolute constants ---------------------------------------------------------------
C = _pos("C")
C_1 = _pos("C_1")
C_2 = _pos("C_2")
C_3 = _pos("C_3")

SYMBOLS: dict[str, sp.Symbol] = {
    s.name: s
    for s in (d, P, D, Theta, epsilon, gamma, delta, delta_score, delta_train, m_2, N, T, sigma,
              t, R, S, eta, m, x_0, kappa, H, L, epsilon_score, beta)
}
CONSTANTS: dict[str, sp.Symbol] = {s.name: s for s in (C, C_1, C_2, C_3)}

DESCRIPTION: dict[str, str] = {
    "d": "dimension", "P": "number of network parameters", "D": "network depth",
    "Theta": "parameter bound ||theta||_inf <= Theta", "epsilon": "accuracy",
    "gamma": "early-stopping / W2 accuracy", "delta": "probability (quantile or failure)",
    "delta_score": "quantile parameter of D^delta", "delta_train": "training failure probability",
    "m_2": "second moment, m_2^2 = E||x||^2", "N": "number of steps", "T": "time horizon",
    "sigma": "noise level sigma_t", "t": "diffusion time", "R": "radius / separation",
    "S": "separation (Lemma 4.2)", "eta": "mixture weight", "m": "number of samples",
    "x_0": "crossover point (Lemma 4.2)", "kappa": "step-size parameter (Benton et al.)",
    "H": "size of a finite hypothesis class", "L": "Lipschitz constant of the score",
    "epsilon_score": "integrated L2 score error", "beta": "Besov smoothness",
}

# Symbols that are probabilities: every statement using them assumes a value in (0, 1)
# (``Statement.evaluate`` checks this with the hypotheses).
PROBABILITIES: frozenset[sp.Symbol] = frozenset({delta, delta_score, delta_train, eta})

# Regime of each symbol for exponents: "0" means the behaviour as the symbol -> 0+,
# "oo" as it -> infinity.
_TO_ZERO = {"epsilon", "gamma", "delta", "delta_score", "delta_train", "sigma", "t", "eta",
            "kappa", "epsilon_score"}
DIRECTION: dict[sp.Symbol, str] = {
    s: ("0" if name in _TO_ZERO else "oo") for name, s in SYMBOLS.items()
}

# Reference point: inside every statement's regime (Theta > 1, gamma < 1, S > x_0 > 0,
# N >= log(1/gamma), T >= 1, R >> sigma ...). Constants are 1 unless given.
REFERENCE_POINT: dict[sp.Symbol, float] = {
    d: 10.0, P: 1.0e4, D: 5.0, Theta: 10.0, epsilon: 0.1, gamma: 0.01, delta: 0.01,
    delta_score: 0.05, delta_train: 0.01, m_2: 2.0, N: 1000.0, T: 5.0, sigma: 0.5, t: 0.01,
    R: 100.0, S: 50.0, eta: 1.0e-3, m: 1000.0, x_0: 3.0, kappa: 0.01, H: 1.0e6, L: 10.0,
    epsilon_score: 0.1, beta: 2.0,
}

_ALIASES = {
    "eps": epsilon, "ε": epsilon, "γ": gamma, "δ": delta, "σ": sigma, "η": eta, "κ": kappa,
    "Θ": Theta, "theta": Theta, "m2": m_2, "x0": x_0, "eps_score": epsilon_score,
}


def as_symbol(name: str | sp.Symbol, *, argument: str = "symbol") -> sp.Symbol:
    """Return the shared symbol for ``name`` (a Symbol, its name, or an alias such as ``"eps"``).

    Parameters
    ----------
    name : str or sympy.Symbol
        A shared symbol, its name, a constant's name or an alias.
    argument : str
        The argument name used in error messages.

    Returns
    -------
    sympy.Symbol
        The shared (positive) symbol.

    Raises
    ------
    TypeError
        ``name`` is neither a string nor a Symbol.
    ValueError
        Not a shared symbol (the message suggests close names).

    Examples
    --------
    >>> as_symbol("eps") is as_symbol("epsilon")
    True
    """
    if isinstance(name, sp.Symbol):
        if name.name in SYMBOLS and SYMBOLS[name.name] == name:
            return name
        if name.name in CONSTANTS and CONSTANTS[name.name] == name:
            return name
        raise ValueError(f"{argument}: {name!r} is not one of the shared symbols of bounds.symbols")
    if not isinstance(name, str):
        raise TypeError(f"{argument}: expected a symbol name or sympy Symbol, got "
                        f"{type(name).__name__}")
    if name in SYMBOLS:
        return SYMBOLS[name]
    if name in CONSTANTS:
        return CONSTANTS[name]
    if name in _ALIASES:
        return _ALIASES[name]
    import difflib

    close = difflib.get_close_matches(name, list(SYMBOLS) + list(CONSTANTS), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ValueError(f"{argument}: unknown symbol {name!r}{hint} (known: {', '.join(SYMBOLS)})")


def constant(index: int | None = None) -> sp.Symbol:
    """The absolute constant ``C`` (index None) or ``C_index`` (created on demand, positive).

    Parameters
    ----------
    index : int or None
        The constant's index.

    Returns
    -------
    sympy.Symbol

    Examples
    --------
    >>> constant(), constant(2)
    (C, C_2)
    """
    if index is None:
        return C
    name = f"C_{int(index)}"
    if name not in CONSTANTS:
        CONSTANTS[name] = _pos(name)
    return CONSTANTS[name]


def is_constant(s: sp.Basic) -> bool:
    """True for an unknown absolute constant (``C`` or ``C_k``).

    Parameters
    ----------
    s : sympy.Basic
        Any SymPy object.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_constant(constant(3)), is_constant(as_symbol("d"))
    (True, False)
    """
    return isinstance(s, sp.Symbol) and (s.name == "C" or (
        s.name.startswith("C_") and s.name[2:].isdigit()))


def direction(s: sp.Symbol) -> str:
    """``"0"`` if exponents in ``s`` describe s -> 0+, ``"oo"`` if s -> infinity.

    Parameters
    ----------
    s : sympy.Symbol
        A shared symbol.

    Returns
    -------
    str

    Examples
    --------
    >>> direction(as_symbol("epsilon")), direction(as_symbol("d"))
    ('0', 'oo')
    """
    return DIRECTION.get(s, "oo")
