"""Algebra on statements: exponents, Õ-forms, composition, ratios and crossovers."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from scipy.optimize import brentq

from diffbounds.bounds import _asymptotics, _registry
from diffbounds.bounds import symbols as _sym
from diffbounds.bounds.statement import Source, Statement

__all__ = ["exponent", "log_power", "growth", "dependence", "soft_o", "compose", "ratio",
           "crossover", "Crossover"]


def _statement(x, argument: str = "statement") -> Statement:
    if isinstance(x, Statement):
        return x
    if isinstance(x, str):
        return _registry.get(x)
    raise TypeError(f"{argument}: expected a Statement or a registered key, got "
                    f"{type(x).__name__}")


def _expr_of(x, argument: str) -> sp.Expr:
    if isinstance(x, Statement):
        return x.expr
    if isinstance(x, str):
        return _registry.get(x).expr
    if isinstance(x, sp.Expr):
        return x
    raise TypeError(f"{argument}: expected a Statement, key or SymPy expression, got "
                    f"{type(x).__name__}")


def dependence(f: Statement | str | sp.Expr, symbol: str | sp.Symbol,
               direction: str | None = None) -> _asymptotics.Dependence:
    """Leading dependence of a statement (or expression) on ``symbol`` as it goes to its regime
    (ε, γ, δ → 0; d, P, D, Θ, N, m → ∞; ``direction`` overrides).

    Parameters
    ----------
    f : Statement, str or sympy.Expr
        A statement, a registered key or an expression.
    symbol : str or sympy.Symbol
        The parameter.
    direction : {"0", "oo"} or None
        Override the symbol's regime (None: its default, ε, γ, δ → 0, the others → ∞).

    Returns
    -------
    Dependence
        Exponent, log power and kind of growth.

    Examples
    --------
    >>> from diffbounds import bounds
    >>> dep = bounds.dependence("gupta2024.theorem_1_2", "epsilon")
    >>> dep.exponent, dep.log_power, dep.growth
    (-3, 0, 'polynomial')
    """
    if isinstance(f, (Statement, str)):
        return _statement(f).dependence(symbol, direction)
    return _asymptotics.dependence(_expr_of(f, "f"), _sym.as_symbol(symbol), direction)


def exponent(f: Statement | str | sp.Expr, symbol: str | sp.Symbol,
             direction: str | None = None) -> sp.Expr:
    """Polynomial exponent of the leading growth of ``f`` in ``symbol`` (±oo if exponential).

    Parameters
    ----------
    f : Statement, str or sympy.Expr
        A statement, a registered key or an expression.
    symbol : str or sympy.Symbol
        The parameter.
    direction : {"0", "oo"} or None
        Override the symbol's regime (None: its default, ε, γ, δ → 0, the others → ∞).

    Returns
    -------
    sympy.Expr
        The exponent (a SymPy number).

    Examples
    --------
    >>> from diffbounds import bounds
    >>> bounds.exponent("gupta2024.theorem_1_2", "epsilon")
    -3
    """
    return dependence(f, symbol, direction).exponent


def log_power(f: Statement | str | sp.Expr, symbol: str | sp.Symbol,
              direction: str | None = None) -> sp.Expr:
    """Power k of the log factor, log(x)**k (x -> oo) or log(1/x)**k (x -> 0).

    Parameters
    ----------
    f : Statement, str or sympy.Expr
        A statement, a registered key or an expression.
    symbol : str or sympy.Symbol
        The parameter.
    direction : {"0", "oo"} or None
        Override the symbol's regime (None: its default, ε, γ, δ → 0, the others → ∞).

    Returns
    -------
    sympy.Expr
        k (a SymPy number).

    Examples
    --------
    >>> from diffbounds import bounds
    >>> bounds.log_power("gupta2024.theorem_1_2", "gamma")  # log^3(1/γ)
    3
    """
    return dependence(f, symbol, direction).log_power


def growth(f: Statement | str | sp.Expr, symbol: str | sp.Symbol,
           direction: str | None = None) -> str:
    """The kind of growth: constant / polylog / polynomial / exponential.

    Parameters
    ----------
    f : Statement, str or sympy.Expr
        A statement, a registered key or an expression.
    symbol : str or sympy.Symbol
        The parameter.
    direction : {"0", "oo"} or None
        Override the symbol's regime (None: its default, ε, γ, δ → 0, the others → ∞).

    Returns
    -------
    str

    Examples
    --------
    >>> from diffbounds import bounds
    >>> bounds.growth("block2020.samples", "D")  # (PΘ²)^D
    'exponential'
    """
    return dependence(f, symbol, direction).growth


# ----------------------------------------------------------------------------------------------
# Õ-form
# ----------------------------------------------------------------------------------------------
def soft_o(statement: Statement | str) -> Statement:
    """Drop what Õ hides, keeping the displayed form: absolute constants -> 1, and factors,
    addends and log-arguments that are polylogarithmic in the symbols whose logs Õ hides.
    ``statement`` is a :class:`Statement` or a registered key; see :meth:`Statement.soft_o`.

    Parameters
    ----------
    statement : Statement or str
        A statement or a registered key.

    Returns
    -------
    Statement
        The Õ form.

    Examples
    --------
    >>> from diffbounds import bounds
    >>> bounds.soft_o("gupta2024.theorem_1_2").constants
    ()
    """
    return _statement(statement).soft_o()


# ----------------------------------------------------------------------------------------------
# composition
# ----------------------------------------------------------------------------------------------
def _fresh_constants(used: set[sp.Symbol], count: int) -> list[sp.Symbol]:
    out = []
    for i in itertools.count(1):
        c = _sym.constant(i)
        if c not in used:
            out.append(c)
            used.add(c)
            if len(out) == count:
                return out
    raise AssertionError  # pragma: no cover


def _rename_constants(expr: sp.Expr, used: set[sp.Symbol]) -> tuple[sp.Expr, dict]:
    own = sorted((s for s in expr.free_symbols if _sym.is_constant(s)), key=lambda s: s.name)
    clash = [c for c in own if c in used]
    if not clash:
        used.update(own)
        return expr, {}
    fresh = _fresh_constants(used | set(own), len(clash))
    mapping = dict(zip(clash, fresh, strict=True))
    used.update(own)
    return expr.xreplace(mapping), mapping


def compose(statement: Statement | str, substitutions: Mapping, *, key: str | None = None,
            quantity: str | None = None, description: str = "", hidden: Any = None,
            compare_with: Any = (), source: Source | None = None, parts: Any = None
            ) -> Statement:
    """Substitute expressions or other statements for symbols of ``statement``.

    ``substitutions`` maps a symbol (or its name) to a number, a SymPy expression, a Statement
    or a registered key. The result is a DERIVED statement whose ``derivation`` records where
    each factor came from. Constants of inserted statements are renamed apart (C -> C_1, ...).
    ``parts`` defaults to the statement's parts with the same substitution.

    Parameters
    ----------
    statement : Statement or str
        The outer statement.
    substitutions : Mapping
        Symbol (or name) → number, expression, Statement or key.
    key, quantity, description : str or None
        Of the result (defaults derived from ``statement``).
    hidden, compare_with, source, parts
        Of the result, as :class:`Statement` (defaults from ``statement``).

    Returns
    -------
    Statement
        A DERIVED statement.

    Raises
    ------
    TypeError, ValueError
        An empty mapping, a substitution for a symbol the statement does not have, a value
        of an unusable type, or a non-positive number.
    UnknownKeyError
        An unknown key.

    Examples
    --------
    Corollary B.6's TV bound with the step count of Lemma 1.3 inserted for N:

    >>> from diffbounds import bounds
    >>> b6 = bounds.compose("gupta2024.corollary_b6", {"N": "gupta2024.lemma_1_3"},
    ...                     key="demo.b6_with_lemma_1_3")
    >>> b6.status, "N" in {s.name for s in b6.parameters}
    ('DERIVED', False)
    """
    st = _statement(statement)
    if not isinstance(substitutions, Mapping) or not substitutions:
        raise TypeError("substitutions: expected a non-empty mapping symbol -> value")
    used = set(st.constants)
    mapping: dict[sp.Symbol, sp.Expr] = {}
    records: list[dict[str, Any]] = [{"base": st.key, "expr": str(st.expr),
                                      "source": str(st.source), "status": st.status}]
    hyps = list(st.hypotheses)
    hid = list(st.hidden)
    for name, value in substitutions.items():
        s = _sym.as_symbol(name, argument="substitutions")
        if s not in st.expr.free_symbols:
            raise ValueError(f"substitutions: {s.name} does not occur in {st.key} (its symbols "
                             f"are {', '.join(x.name for x in st.parameters + st.constants)})")
        inner: Statement | None = None
        if isinstance(value, Statement):
            inner = value
        elif isinstance(value, str) and value in _registry.keys():
            inner = _registry.get(value)
        if inner is not None:
            e, renamed = _rename_constants(inner.expr, used)
            mapping[s] = e
            records.append({"symbol": s.name, "from": inner.key, "expr": str(e),
                            "source": str(inner.source), "status": inner.status,
                            "renamed_constants": {k.name: v.name for k, v in renamed.items()}})
            hyps.extend(inner.hypotheses)
            hid.extend(h for h in inner.hidden if h not in hid)
        else:
            try:
                e = sp.sympify(value, locals={**_sym.SYMBOLS, **_sym.CONSTANTS})
            except (sp.SympifyError, TypeError) as exc:
                raise TypeError(f"substitutions[{s.name}]: cannot convert {value!r}") from exc
            if not isinstance(e, sp.Expr):
                raise TypeError(f"substitutions[{s.name}]: expected an expression, got "
                                f"{type(e).__name__}")
            if e.is_number and not e.is_positive:
                raise ValueError(f"substitutions[{s.name}]: a number must be positive, got {e}")
            for c in e.free_symbols:
                _sym.as_symbol(c, argument=f"substitutions[{s.name}]")
            used.update(c for c in e.free_symbols if _sym.is_constant(c))
            mapping[s] = e
            records.append({"symbol": s.name, "from": "expression", "expr": str(e)})
    expr = st.expr.xreplace(mapping)
    hyps = [h.xreplace(mapping) if isinstance(h, sp.Basic) else h for h in hyps]
    return Statement(
        key=key or f"{st.key}[{', '.join(f'{k.name}:={v}' for k, v in mapping.items())}]",
        expr=expr, quantity=quantity or st.quantity,
        source=source or Source(work="derived", statement=f"composition of {st.key}"),
        status="DERIVED", hypotheses=tuple(hyps),
        hidden=tuple(hid) if hidden is None else tuple(hidden), relation=st.relation,
        description=description or f"{st.key} with {', '.join(k.name for k in mapping)} "
                                   f"substituted",
        parts=({k: v.xreplace(mapping) for k, v in st.parts.items()} if parts is None
               else parts),
        derivation=tuple(records), compare_with=tuple(compare_with), reference=st.reference)


def ratio(a: Statement | str, b: Statement | str, *, key: str | None = None) -> Statement:
    """The DERIVED statement a/b (the constants of b are renamed apart from those of a).

    Parameters
    ----------
    a, b : Statement or str
        Statements or registered keys.
    key : str or None
        Key of the result; default "ratio(A, B)".

    Returns
    -------
    Statement
        Quantity "ratio", status DERIVED.

    Examples
    --------
    >>> from diffbounds import bounds
    >>> r = bounds.ratio("gupta2024.theorem_1_2_derived", "gupta2024.theorem_1_2")
    >>> bounds.exponent(r, "epsilon")  # derived ε⁻⁵ over stated ε⁻³
    -2
    """
    sa, sb = _statement(a, "a"), _statement(b, "b")
    used = set(sa.constants)
    eb, renamed = _rename_constants(sb.expr, used)
    return Statement(
        key=key or f"ratio({sa.key}, {sb.key})", expr=sa.expr / eb, quantity="ratio",
        source=Source(work="derived", statement=f"ratio of {sa.key} to {sb.key}"),
        status="DERIVED", hypotheses=sa.hypotheses + sb.hypotheses,
        hidden=tuple(dict.fromkeys(sa.hidden + sb.hidden)), relation="ratio",
        derivation=({"numerator": sa.key}, {"denominator": sb.key,
                    "renamed_constants": {k.name: v.name for k, v in renamed.items()}}),
        reference={**sb.reference, **sa.reference})


# ----------------------------------------------------------------------------------------------
# crossover
# ----------------------------------------------------------------------------------------------
@dataclass
class Crossover:
    """Where ``a`` and ``b`` cross as ``symbol`` varies over ``bracket``, the others fixed.

    Built by :func:`crossover`.

    Attributes
    ----------
    a, b : str
        The statements' keys.
    symbol : str
        The varied symbol.
    bracket : (float, float)
        The interval searched.
    roots : list of float
        The crossing points.
    larger_below, larger_above : str or None
        Which statement is larger at the low and at the high end.
    message : str
        A note (e.g. why nothing was found).
    """

    a: str
    b: str
    symbol: str
    bracket: tuple[float, float]
    roots: list[float] = field(default_factory=list)
    larger_below: str | None = None   # which bound is larger at the low end of the bracket
    larger_above: str | None = None   # ... at the high end
    message: str = ""

    @property
    def crosses(self) -> bool:
        """Whether there is at least one root."""
        return bool(self.roots)

    def as_dict(self) -> dict[str, Any]:
        """The fields and ``crosses`` as a JSON-ready dict.

        Returns
        -------
        dict
        """
        return {"a": self.a, "b": self.b, "symbol": self.symbol, "bracket": list(self.bracket),
                "roots": self.roots, "larger_below": self.larger_below,
                "larger_above": self.larger_above, "crosses": self.crosses,
                "message": self.message}


def crossover(a: Statement | str, b: Statement | str, symbol: str | sp.Symbol, *,
              bracket: tuple[float, float] | None = None, num: int = 400,
              check_hypotheses: bool = True, **fixed: float) -> Crossover:
    """Values of ``symbol`` in ``bracket`` where a = b (log-spaced scan, then Brent's method).

    ``fixed`` gives every other parameter of a and b (constants default to 1). The default
    bracket is (1e-12, 1⁻) for symbols taken to 0 (epsilon, gamma, ...) and (1⁺, 1e12)
    otherwise, 1∓ being the float64 neighbours of 1 (so that hypotheses such as γ < 1 or
    Θ > 1 hold at its ends). ``check_hypotheses`` is passed to ``Statement.evaluate``: by
    default a bracket reaching outside a statement's hypotheses raises ValueError.

    Parameters
    ----------
    a, b : Statement or str
        Statements or registered keys.
    symbol : str or sympy.Symbol
        The varied symbol (in a or b).
    bracket : (float, float) or None
        0 < lo < hi < ∞; default as above.
    num : int
        Points of the log-spaced scan, >= 3.
    check_hypotheses : bool
        See above.
    **fixed : float
        Values of every other parameter (and constants).

    Returns
    -------
    Crossover

    Raises
    ------
    TypeError, ValueError
        A symbol in neither statement, a bad bracket or ``num``, missing or doubly given
        values, or (with ``check_hypotheses``) a bracket outside the hypotheses.

    Examples
    --------
    >>> from diffbounds import bounds
    >>> cr = bounds.crossover("gupta2024.theorem_1_2_derived", "block2020.samples", "epsilon",
    ...                       bracket=(1e-4, 0.5), D=2, P=100, Theta=2, d=10, delta=0.01,
    ...                       gamma=0.01, m_2=2)
    >>> [round(r, 5) for r in cr.roots]
    [0.00675]
    """
    sa, sb = _statement(a, "a"), _statement(b, "b")
    x = _sym.as_symbol(symbol)
    if x not in sa.parameters and x not in sb.parameters:
        raise ValueError(f"symbol: {x.name} occurs in neither {sa.key} nor {sb.key}")
    if bracket is None:
        bracket = ((1e-12, float(np.nextafter(1.0, 0.0))) if _sym.direction(x) == "0"
                   else (float(np.nextafter(1.0, 2.0)), 1e12))
    try:
        lo, hi = (float(v) for v in bracket)
    except (TypeError, ValueError) as exc:
        raise TypeError("bracket: expected two numbers (lo, hi)") from exc
    if not (0 < lo < hi < np.inf):
        raise ValueError(f"bracket: need 0 < lo < hi < inf, got {bracket}")
    if not isinstance(num, int) or num < 3:
        raise ValueError(f"num: need an integer >= 3, got {num!r}")
    values = {_sym.as_symbol(k, argument="fixed"): v for k, v in fixed.items()}
    if x in values:
        raise ValueError(f"fixed: {x.name} is the varied symbol and cannot also be fixed")

    def vals(st: Statement) -> dict:
        return {s: v for s, v in values.items() if s in st.parameters or s in st.constants}

    need = (set(sa.parameters) | set(sb.parameters)) - {x}
    missing = sorted(s.name for s in need if s not in values)
    if missing:
        raise ValueError(f"fixed: missing value(s) for {', '.join(missing)}")
    va, vb = vals(sa), vals(sb)

    def ev(st: Statement, v: dict, xv):
        vv = dict(v)
        if x in st.parameters:
            vv[x] = xv
        return np.broadcast_to(np.asarray(st.evaluate(vv, check_hypotheses=check_hypotheses),
                                          float), np.shape(xv))

    def g(xv):
        ea, eb = ev(sa, va, xv), ev(sb, vb, xv)
        if np.any(ea <= 0) or np.any(eb <= 0):
            raise ValueError(f"crossover: a bound is not positive on the bracket {bracket}")
        return np.log(ea) - np.log(eb)

    grid = np.geomspace(lo, hi, num)
    gv = g(grid)
    roots: list[float] = []
    for i in range(num - 1):
        g0, g1 = gv[i], gv[i + 1]
        if g0 == 0.0:
            roots.append(float(grid[i]))
        elif g0 * g1 < 0:
            r = brentq(lambda u: float(g(np.array(u))), grid[i], grid[i + 1],
                       xtol=1e-14 * grid[i], rtol=1e-12)
            roots.append(float(r))
    if gv[-1] == 0.0:
        roots.append(float(hi))

    def larger(v: float) -> str:
        return sa.key if v > 0 else (sb.key if v < 0 else "equal")

    res = Crossover(a=sa.key, b=sb.key, symbol=x.name, bracket=(lo, hi), roots=roots,
                    larger_below=larger(gv[0]), larger_above=larger(gv[-1]))
    if np.all(gv == 0):
        res.message = f"{sa.key} and {sb.key} coincide on [{lo:g}, {hi:g}]"
        res.roots = []
    elif roots:
        res.message = (f"{sa.key} and {sb.key} cross at {x.name} = "
                       f"{', '.join(f'{r:.6g}' for r in roots)}")
    else:
        res.message = (f"{sa.key} and {sb.key} never cross for {x.name} in [{lo:g}, {hi:g}]: "
                       f"{larger(gv[0])} is larger throughout")
    return res
