"""The :class:`Statement`: one bound of the paper or of a predecessor, as an exact SymPy expression
with its provenance, status, hypotheses and what its Õ hides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from diffbounds.bounds import _asymptotics
from diffbounds.bounds import symbols as _sym

__all__ = ["Source", "Statement", "STATUSES", "QUANTITIES"]

STATUSES = ("VERBATIM", "VERBATIM-SECONDARY", "DERIVED", "UNVERIFIED", "OCR-GARBLED")
QUANTITIES = ("samples", "steps", "tv", "w2", "kl", "l2_error", "probability", "time",
              "weight", "score_error_integral", "ratio", "constant")


@dataclass(frozen=True)
class Source:
    """Where a statement comes from: work, statement number, equation and page where known.

    Parameters
    ----------
    work : str
        The paper (e.g. "Gupta, Parulekar, Price, Xun 2024").
    statement : str
        Its statement number (e.g. "Theorem 1.2").
    equation, page, note : str or None
        Where known.

    Examples
    --------
    >>> str(Source("GPPX 2024", "Theorem 1.2", page="2"))
    'GPPX 2024, Theorem 1.2, p. 2'
    """

    work: str
    statement: str
    equation: str | None = None
    page: str | None = None
    note: str | None = None

    def __str__(self) -> str:
        parts = [self.work, self.statement]
        if self.equation:
            parts.append(f"eq. {self.equation}")
        if self.page:
            parts.append(f"p. {self.page}")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict.

        Returns
        -------
        dict
        """
        return {"work": self.work, "statement": self.statement, "equation": self.equation,
                "page": self.page, "note": self.note}


def _sympify_positive(expr: Any, argument: str) -> sp.Expr:
    try:
        e = sp.sympify(expr)
    except (sp.SympifyError, TypeError) as exc:
        raise TypeError(f"{argument}: cannot convert {expr!r} to a SymPy expression") from exc
    if not isinstance(e, sp.Expr):
        raise TypeError(f"{argument}: expected a SymPy expression, got {type(e).__name__}")
    return e


@dataclass(eq=False)
class Statement:
    """A bound ``expr`` on ``quantity`` (samples, steps, tv, ...) with provenance and status.

    ``hidden`` lists the factors that Õ hides (as SymPy expressions); the absolute constants of
    ``≲`` appear in ``expr`` as the symbols ``C, C_1, ...`` (see ``constants``).

    Parameters
    ----------
    key : str
        Registry key, e.g. "gupta2024.theorem_1_2".
    expr : sympy.Expr or str
        The bound, in the shared symbols of :mod:`~diffbounds.bounds.symbols`.
    quantity : str
        One of ``QUANTITIES``.
    source : Source
        Provenance.
    status : str
        One of ``STATUSES`` (VERBATIM, DERIVED, ...).
    hypotheses : tuple
        Relational hypotheses (SymPy) or textual ones.
    hidden : tuple
        The factors Õ hides.
    relation : str
        "upper bound", "lower bound", ...
    description : str
        One line.
    parts : Mapping
        Named additive terms of ``expr``.
    derivation : tuple
        Where each factor of a derived statement came from.
    compare_with : tuple
        Keys of the stated counterparts of a derived statement.
    reference : Mapping
        A reference point (symbol → value).

    Raises
    ------
    TypeError, ValueError
        An empty key, an expression that is not SymPy or uses unknown symbols, an unknown
        status or quantity, or a source that is not a Source.

    Examples
    --------
    >>> from diffbounds.bounds import symbols as S
    >>> expr = S.constant() * S.as_symbol("d") / S.as_symbol("epsilon") ** 2
    >>> st = Statement("demo.rate", expr, "samples", Source("demo", "Lemma 1"), "DERIVED")
    >>> st.exponent("epsilon"), st.exponent("d")
    (-2, 1)
    """

    key: str
    expr: sp.Expr
    quantity: str
    source: Source
    status: str
    hypotheses: tuple = ()
    hidden: tuple = ()
    relation: str = "upper bound"
    description: str = ""
    parts: Mapping[str, sp.Expr] = field(default_factory=dict)
    derivation: tuple = ()
    compare_with: tuple = ()
    reference: Mapping[sp.Symbol, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key:
            raise TypeError("key: expected a non-empty string")
        self.expr = _sympify_positive(self.expr, "expr")
        if self.status not in STATUSES:
            raise ValueError(f"status: {self.status!r} is not one of {STATUSES}")
        if self.quantity not in QUANTITIES:
            raise ValueError(f"quantity: {self.quantity!r} is not one of {QUANTITIES}")
        if not isinstance(self.source, Source):
            raise TypeError("source: expected a bounds.Source")
        self.hypotheses = tuple(dict.fromkeys(self.hypotheses))
        self.hidden = tuple(dict.fromkeys(
            sp.sympify(h) if not isinstance(h, str) else h for h in self.hidden))
        self.parts = {k: sp.sympify(v) for k, v in dict(self.parts).items()}
        self.derivation = tuple(self.derivation)
        self.compare_with = tuple(self.compare_with)
        self.reference = dict(self.reference)
        for s in self.expr.free_symbols:
            _sym.as_symbol(s, argument=f"expr of {self.key}")
        self._fn = None
        self._dep_cache: dict[tuple, _asymptotics.Dependence] = {}

    # -- symbols -------------------------------------------------------------------------
    @property
    def constants(self) -> tuple[sp.Symbol, ...]:
        """The unknown absolute constants appearing in ``expr`` (sorted by name)."""
        return tuple(sorted((s for s in self.expr.free_symbols if _sym.is_constant(s)),
                            key=lambda s: s.name))

    @property
    def parameters(self) -> tuple[sp.Symbol, ...]:
        """The parameters of ``expr`` (every free symbol except the absolute constants)."""
        return tuple(sorted((s for s in self.expr.free_symbols if not _sym.is_constant(s)),
                            key=lambda s: s.name))

    @property
    def hidden_log_symbols(self) -> frozenset[sp.Symbol]:
        """Symbols whose log factors are hidden by Õ (a hidden factor is a polylog of them)."""
        out = set()
        for h in self.hidden:
            if isinstance(h, str) or not isinstance(h, sp.Expr):
                continue
            params = [s for s in h.free_symbols if not _sym.is_constant(s)]
            if len(params) == 1 and h.has(sp.log):
                dep = _asymptotics.dependence(h, params[0])
                if dep.growth == "polylog":
                    out.add(params[0])
        return frozenset(out)

    @property
    def reference_point(self) -> dict[sp.Symbol, float]:
        """The documented reference point: :data:`bounds.symbols.REFERENCE_POINT` + overrides."""
        pt = {s: _sym.REFERENCE_POINT[s] for s in self.parameters}
        pt.update({s: v for s, v in self.reference.items() if s in self.parameters})
        return pt

    # -- evaluation ----------------------------------------------------------------------
    def _function(self):
        if self._fn is None:
            args = list(self.parameters) + list(self.constants)
            self._fn = (args, sp.lambdify(args, self.expr, modules=["scipy", "numpy"]))
        return self._fn

    def evaluate(self, values: Mapping | None = None, /, *, check_hypotheses: bool = True,
                 **kwargs: Any) -> Any:
        """Evaluate ``expr`` at positive values (floats or NumPy arrays, broadcast together).

        Parameters
        ----------
        values, **kwargs
            Symbols by name (``d=10, epsilon=0.1``) or in a mapping: real numbers or arrays of
            them (booleans are not numbers); absolute constants default to 1.
        check_hypotheses : bool, default True
            Check the statement's relational hypotheses (``hypotheses``, e.g. T ≥ 1 for
            Corollary B.6) at every value whose symbols are given, and raise when one is
            violated. ``False`` is the explicit opt-out for exploring a bound outside its
            regime (the number returned then carries no guarantee of the paper).

        Returns
        -------
        float, or an array of the broadcast shape.

        Raises
        ------
        TypeError
            A value that is not a real number or array of them (a bool included), naming it.
        ValueError
            A missing, unknown or non-positive symbol; a violated hypothesis (unless
            ``check_hypotheses=False``); a result that is not finite or is negative.
        """
        if not isinstance(check_hypotheses, bool):
            raise TypeError(f"check_hypotheses: expected a bool, got "
                            f"{type(check_hypotheses).__name__}")
        given: dict[sp.Symbol, Any] = {}
        for k, v in {**dict(values or {}), **kwargs}.items():
            s = _sym.as_symbol(k, argument="values")
            given[s] = v
        args, fn = self._function()
        missing = [s.name for s in self.parameters if s not in given]
        if missing:
            raise ValueError(f"evaluate {self.key}: missing value(s) for {', '.join(missing)} "
                             f"(the statement's parameters are "
                             f"{', '.join(s.name for s in self.parameters)})")
        extra = [s.name for s in given if s not in args]
        if extra:
            raise ValueError(f"evaluate {self.key}: {', '.join(extra)} not in this statement "
                             f"(its parameters are {', '.join(s.name for s in self.parameters)})")
        arrays = []
        for s in args:
            v = given.get(s, 1.0)
            if isinstance(v, (bool, np.bool_)) or np.asarray(v).dtype == bool:
                raise TypeError(f"{s.name}: expected a number or array of numbers, got bool")
            try:
                a = np.asarray(v, dtype=float)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"{s.name}: expected a number or array of numbers, got "
                                f"{type(v).__name__}") from exc
            if not np.all(np.isfinite(a)) or np.any(a <= 0):
                raise ValueError(f"{s.name}: every value must be positive and finite "
                                 f"(got {v!r})")
            arrays.append(a)
        scalar = all(a.ndim == 0 for a in arrays)
        try:
            arrays = list(np.broadcast_arrays(*arrays)) if arrays else []
        except ValueError as exc:
            raise ValueError(f"evaluate {self.key}: the array values do not broadcast: {exc}"
                             ) from exc
        if check_hypotheses:
            self._check_hypotheses(dict(zip(args, arrays, strict=True)))
        with np.errstate(all="ignore"):
            out = np.asarray(fn(*arrays), dtype=float)
        if arrays:
            out = np.broadcast_to(out, arrays[0].shape)
        if not np.all(np.isfinite(out)):
            raise ValueError(f"evaluate {self.key}: the result is not finite at these values "
                             f"(check the hypotheses: {self.hypotheses_text()})")
        if np.any(out < 0):
            raise ValueError(f"evaluate {self.key}: the bound is negative at these values, which "
                             f"lie outside its regime (hypotheses: {self.hypotheses_text()})")
        return float(out) if scalar else np.array(out)

    def _check_hypotheses(self, at: dict) -> None:
        """ValueError naming the first relational hypothesis violated at some of ``at``'s
        values (symbol → array); hypotheses with a symbol not in ``at`` cannot be checked.
        Probabilities (``symbols.PROBABILITIES``) must lie in (0, 1)."""
        for x, v in at.items():
            if x in _sym.PROBABILITIES and np.any(np.asarray(v) >= 1):
                raise ValueError(
                    f"evaluate {self.key}: {x.name} is a probability and must be < 1, got "
                    f"{np.ravel(v)[np.argmax(np.ravel(v) >= 1)]:g} (pass check_hypotheses=False "
                    "(or --outside-hypotheses) to evaluate outside the statement's regime)")
        for h in self.hypotheses:
            if not isinstance(h, sp.core.relational.Relational):
                continue
            syms = sorted(h.free_symbols, key=lambda x: x.name)
            if any(x not in at and not _sym.is_constant(x) for x in syms):
                continue
            vals = [at.get(x, 1.0) for x in syms]
            with np.errstate(all="ignore"):
                ok = np.asarray(sp.lambdify(syms, h, modules="numpy")(*vals), dtype=bool)
            if not np.all(ok):
                bad = np.flatnonzero(~np.broadcast_to(ok, np.broadcast(*vals).shape).ravel()
                                     if vals else [0])
                first = int(bad[0]) if bad.size else 0
                where = ", ".join(
                    f"{x.name}={np.ravel(np.broadcast_to(v, np.broadcast(*vals).shape))[first]:g}"
                    for x, v in zip(syms, vals, strict=True) if not _sym.is_constant(x))
                raise ValueError(
                    f"evaluate {self.key}: hypothesis {h} is violated at {where}"
                    f"{f' ({bad.size} value(s))' if bad.size > 1 else ''}; the statement does "
                    "not apply there (pass check_hypotheses=False, or --outside-hypotheses to "
                    "`diffbounds bounds`, to evaluate outside its "
                    "regime)")

    def hypotheses_text(self) -> str:
        """The hypotheses joined by "; " ("none" without any).

        Returns
        -------
        str
        """
        return "; ".join(str(h) for h in self.hypotheses) or "none"

    def hypotheses_hold(self, **values: float) -> dict[str, bool | None]:
        """Evaluate the relational hypotheses at ``values`` (None for a textual hypothesis).

        Parameters
        ----------
        **values : float
            Symbol name → value (constants default to 1).

        Returns
        -------
        dict
            Hypothesis (as text) → True, False, or None where it cannot be decided.

        Raises
        ------
        ValueError, TypeError
            A name that is not a shared symbol.
        """
        subs = {_sym.as_symbol(k, argument="values"): v for k, v in values.items()}
        out: dict[str, bool | None] = {}
        for h in self.hypotheses:
            if isinstance(h, sp.core.relational.Relational):
                r = h.subs(subs)
                r = r.subs({c: 1 for c in r.free_symbols if _sym.is_constant(c)})
                out[str(h)] = bool(r) if r in (sp.true, sp.false) else None
            else:
                out[str(h)] = None
        return out

    # -- asymptotics ---------------------------------------------------------------------
    def dependence(self, symbol: str | sp.Symbol, direction: str | None = None
                   ) -> _asymptotics.Dependence:
        """Leading dependence on ``symbol`` (exponent, log power, growth class).

        Parameters
        ----------
        symbol : str or sympy.Symbol
            The parameter.
        direction : {"0", "oo"} or None
            Override the symbol's regime.

        Returns
        -------
        Dependence
        """
        s = _sym.as_symbol(symbol)
        key = (s, direction)
        if key not in self._dep_cache:
            self._dep_cache[key] = _asymptotics.dependence(self.expr, s, direction)
        return self._dep_cache[key]

    def exponent(self, symbol: str | sp.Symbol, direction: str | None = None) -> sp.Expr:
        """Polynomial exponent of the leading growth in ``symbol`` (x -> 0 for epsilon, gamma,
        delta, ...; x -> oo for d, P, D, Theta, N, m, ...); +-oo if exponential.

        Parameters
        ----------
        symbol : str or sympy.Symbol
            The parameter.
        direction : {"0", "oo"} or None
            Override the symbol's regime.

        Returns
        -------
        sympy.Expr
        """
        return self.dependence(symbol, direction).exponent

    def log_power(self, symbol: str | sp.Symbol, direction: str | None = None) -> sp.Expr:
        """Power of the log factor: log(x)**k as x -> oo, log(1/x)**k as x -> 0.

        Parameters
        ----------
        symbol : str or sympy.Symbol
            The parameter.
        direction : {"0", "oo"} or None
            Override the symbol's regime.

        Returns
        -------
        sympy.Expr
        """
        return self.dependence(symbol, direction).log_power

    def growth(self, symbol: str | sp.Symbol, direction: str | None = None) -> str:
        """constant / polylog / polynomial / exponential.

        Parameters
        ----------
        symbol : str or sympy.Symbol
            The parameter.
        direction : {"0", "oo"} or None
            Override the symbol's regime.

        Returns
        -------
        str
        """
        return self.dependence(symbol, direction).growth

    def soft_o(self) -> Statement:
        """The displayed Õ-form: absolute constants -> 1, and the factors, addends and
        log-arguments that are polylogarithmic in the symbols whose logs Õ hides dropped.

        Returns
        -------
        Statement
            Key "KEY.soft_o", status DERIVED.
        """
        expr = self.expr.subs({c: 1 for c in self.constants})
        hidden_exprs = {h for h in self.hidden if isinstance(h, sp.Expr)}
        shown = _asymptotics.drop_hidden(expr, self.hidden_log_symbols, hidden_exprs)
        return Statement(
            key=f"{self.key}.soft_o", expr=shown, quantity=self.quantity, source=self.source,
            status="DERIVED", hypotheses=self.hypotheses, hidden=self.hidden,
            relation=self.relation,
            description=f"Õ-form of {self.key}: constants set to 1, hidden log factors dropped",
            derivation=({"operation": "soft_o", "of": self.key},), reference=self.reference)

    # -- presentation --------------------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        """The statement as a JSON-ready dict (expression, source, dependences per symbol).

        Returns
        -------
        dict
        """
        deps = {}
        for s in self.parameters:
            try:
                dep = self.dependence(s)
                deps[s.name] = {"exponent": str(dep.exponent), "log_power": str(dep.log_power),
                                "growth": dep.growth, "direction": dep.direction}
            except _asymptotics.AsymptoticError as exc:
                deps[s.name] = {"error": str(exc)}
        try:
            ref = self.evaluate({s: v for s, v in self.reference_point.items()})
        except ValueError:
            ref = None
        return {
            "key": self.key, "quantity": self.quantity, "status": self.status,
            "relation": self.relation, "expr": str(self.expr), "latex": sp.latex(self.expr),
            "source": self.source.as_dict(), "description": self.description,
            "hypotheses": [str(h) for h in self.hypotheses],
            "hidden": [str(h) for h in self.hidden],
            "constants": [c.name for c in self.constants],
            "parameters": [s.name for s in self.parameters],
            "parts": {k: str(v) for k, v in self.parts.items()},
            "derivation": [str(x) for x in self.derivation],
            "compare_with": list(self.compare_with),
            "reference_point": {s.name: v for s, v in self.reference_point.items()},
            "value_at_reference_point": ref,
            "dependence": deps,
        }

    def __repr__(self) -> str:
        return f"Statement({self.key!r}, {self.quantity}: {self.expr}, {self.status})"
