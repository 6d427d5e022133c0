"""Leading asymptotic behaviour of a SymPy expression in one symbol.

For a symbol x tending to its regime (x -> oo, or x -> 0+), write z = x (resp. 1/x), so z -> oo,
and Lz = log z. Every expression f handled here behaves like

    f ~ K * exp(A) * z**a * Lz**b

with K free of x, A either 0 or an expression tending to +-oo faster than log z, a and b
free of x. The walk is structural (Add, Mul, Pow, log, exp, Max, Min, erfc), so the exponents
come out exact (Rational, or symbolic such as 2*D). Undecidable signs of symbolic
coefficients are settled at the reference point of :mod:`bounds.symbols`, where every symbol is
inside its regime (Theta > 1, gamma < 1, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from diffbounds.bounds import symbols as _sym


class AsymptoticError(ValueError):
    """The leading behaviour could not be determined structurally."""


@dataclass(frozen=True)
class Growth:
    """f ~ coeff * exp(expo) * z**power * log(z)**log_power, z = x or 1/x (see module doc)."""

    coeff: sp.Expr
    expo: sp.Expr
    power: sp.Expr
    log_power: sp.Expr

    def __mul__(self, other: Growth) -> Growth:
        return Growth(self.coeff * other.coeff, self.expo + other.expo,
                      self.power + other.power, self.log_power + other.log_power)

    def __pow__(self, e: sp.Expr) -> Growth:
        return Growth(self.coeff ** e, self.expo * e, self.power * e, self.log_power * e)


_ONE = Growth(sp.Integer(1), sp.Integer(0), sp.Integer(0), sp.Integer(0))


def _sign(e: sp.Expr) -> int:
    """Sign of an expression free of the variable (symbolic: at the reference point)."""
    e = sp.sympify(e)
    if e.is_zero:
        return 0
    if e.is_positive:
        return 1
    if e.is_negative:
        return -1
    subs = {s: _sym.REFERENCE_POINT.get(s, 1.0) for s in e.free_symbols}
    val = complex(e.evalf(subs=subs))
    if abs(val.imag) > 1e-12 * max(1.0, abs(val.real)):
        raise AsymptoticError(f"cannot decide the sign of {e}")
    if val.real == 0:
        return 0
    return 1 if val.real > 0 else -1


class _Walker:
    def __init__(self, x: sp.Symbol, direction: str):
        if direction not in ("0", "oo"):
            raise ValueError(f"direction: expected '0' or 'oo', got {direction!r}")
        self.x = x
        self.direction = direction
        self.z = x if direction == "oo" else 1 / x
        self.Lz = sp.log(x) if direction == "oo" else sp.log(1 / x)

    # -- classification helpers ------------------------------------------------------------
    def divergence(self, g: Growth) -> int:
        """+1 / -1 if |f| -> oo / 0, and 0 if f tends to a nonzero constant."""
        if g.expo != 0:
            return self.expo_sign(g.expo)
        s = _sign(g.power)
        if s:
            return s
        return _sign(g.log_power)

    def expo_sign(self, A: sp.Expr) -> int:
        gA = self.walk(A)
        if self.divergence(gA) <= 0:
            raise AsymptoticError(f"exponential part {A} does not diverge")
        return _sign(gA.coeff)

    def compare(self, g1: Growth, g2: Growth) -> int:
        """+1 if g1 dominates g2, -1 if g2 dominates, 0 if of the same order."""
        if g1.expo != g2.expo:
            diff = sp.expand(g1.expo - g2.expo)
            if diff != 0:
                gd = self.walk(diff)
                if self.divergence(gd) > 0:
                    return _sign(gd.coeff)
        s = _sign(sp.expand(g1.power - g2.power))
        if s:
            return s
        return _sign(sp.expand(g1.log_power - g2.log_power))

    # -- the walk --------------------------------------------------------------------------
    def walk(self, f: sp.Expr) -> Growth:
        x = self.x
        f = sp.sympify(f)
        if not f.has(x):
            return Growth(f, sp.Integer(0), sp.Integer(0), sp.Integer(0))
        if f == x:
            return Growth(sp.Integer(1), sp.Integer(0),
                          sp.Integer(1 if self.direction == "oo" else -1), sp.Integer(0))
        if isinstance(f, sp.Mul):
            g = _ONE
            for arg in f.args:
                g = g * self.walk(arg)
            return g
        if isinstance(f, sp.Add):
            return self._extremum([self.walk(a) for a in f.args], f, mode="sum")
        if isinstance(f, sp.Max):
            return self._extremum([self.walk(a) for a in f.args], f, mode="max")
        if isinstance(f, sp.Min):
            return self._extremum([self.walk(a) for a in f.args], f, mode="min")
        if isinstance(f, sp.Pow):
            base, e = f.args
            if not e.has(x):
                return self.walk(base) ** e
            return self._exp(e * sp.log(base))
        if isinstance(f, sp.exp):
            return self._exp(f.args[0])
        if isinstance(f, sp.log):
            return self._log(f.args[0])
        if isinstance(f, sp.erfc):
            u = f.args[0]
            gu = self.walk(u)
            if self.divergence(gu) > 0 and _sign(gu.coeff) > 0:
                return self.walk(sp.exp(-u ** 2) / (u * sp.sqrt(sp.pi)))
            if self.divergence(gu) > 0:
                return Growth(sp.Integer(2), sp.Integer(0), sp.Integer(0), sp.Integer(0))
            if self.divergence(gu) < 0:
                return Growth(sp.Integer(1), sp.Integer(0), sp.Integer(0), sp.Integer(0))
            return Growth(sp.erfc(gu.coeff), sp.Integer(0), sp.Integer(0), sp.Integer(0))
        raise AsymptoticError(f"unsupported function {f.func} in {f}")

    def _extremum(self, gs: list[Growth], f: sp.Expr, mode: str) -> Growth:
        best = [gs[0]]
        for g in gs[1:]:
            c = self.compare(g, best[0])
            if mode == "min":
                c = -c
            if c > 0:
                best = [g]
            elif c == 0:
                best.append(g)
        if len(best) == 1:
            return best[0]
        if mode == "sum":
            K = sp.simplify(sp.Add(*[g.coeff for g in best]))
            if K == 0:
                raise AsymptoticError(f"leading terms cancel in {f}")
        elif mode == "max":
            K = sp.Max(*[g.coeff for g in best])
        else:
            K = sp.Min(*[g.coeff for g in best])
        g0 = best[0]
        return Growth(K, g0.expo, g0.power, g0.log_power)

    def _exp(self, arg: sp.Expr) -> Growth:
        g = self.walk(arg)
        div = self.divergence(g)
        if div < 0:  # arg -> 0
            return _ONE
        if div == 0:  # arg -> constant
            return Growth(sp.exp(g.coeff), sp.Integer(0), sp.Integer(0), sp.Integer(0))
        if g.expo == 0 and g.power == 0 and g.log_power == 1:
            # exp(K log z + o(log z)) = z**K (the coefficient is left symbolic)
            return Growth(sp.Integer(1), sp.Integer(0), g.coeff, sp.Integer(0))
        if g.expo == 0 and _sign(g.power) == 0 and _sign(g.log_power - 1) < 0:
            raise AsymptoticError(f"exp of a sub-logarithmic divergence {arg}")
        return Growth(sp.Integer(1), sp.expand(arg), sp.Integer(0), sp.Integer(0))

    def _log(self, arg: sp.Expr) -> Growth:
        g = self.walk(arg)
        if g.expo != 0:
            return self.walk(g.expo)
        if _sign(g.power) != 0:
            return Growth(g.power, sp.Integer(0), sp.Integer(0), sp.Integer(1))
        if _sign(g.log_power) != 0:
            raise AsymptoticError(f"log-log growth in log({arg}) is not supported")
        if sp.simplify(g.coeff - 1) == 0:
            raise AsymptoticError(f"log({arg}) tends to log(1); the next order is needed")
        return Growth(sp.log(g.coeff), sp.Integer(0), sp.Integer(0), sp.Integer(0))


def leading(expr: sp.Expr, x: sp.Symbol, direction: str | None = None) -> Growth:
    """Leading behaviour of ``expr`` in ``x`` towards ``direction`` (default: x's regime)."""
    return _Walker(x, direction or _sym.direction(x)).walk(expr)


@dataclass(frozen=True)
class Dependence:
    """How a bound depends on one symbol: f ~ x**exponent * log(x or 1/x)**log_power.

    ``exponent`` is +-oo for exponential growth / decay, whose exponent is then ``expo``
    (f ~ exp(expo)); ``growth`` is one of constant / polylog / polynomial / exponential.

    Attributes
    ----------
    symbol : sympy.Symbol
        The symbol x.
    direction : {"0", "oo"}
        The regime x → 0 or x → ∞.
    exponent : sympy.Expr
        The polynomial exponent (±oo for exponential growth or decay).
    log_power : sympy.Expr
        The power of log(x) (x → ∞) or log(1/x) (x → 0).
    growth : str
        constant, polylog, polynomial or exponential.
    expo : sympy.Expr
        The exponent of exp(·) for exponential growth (else 0).
    coeff : sympy.Expr
        The leading coefficient.

    Examples
    --------
    >>> from diffbounds import bounds
    >>> dep = bounds.dependence("gupta2024.theorem_1_2", "d")
    >>> dep.direction, dep.exponent, dep.growth
    ('oo', 2, 'polynomial')
    """

    symbol: sp.Symbol
    direction: str
    exponent: sp.Expr
    log_power: sp.Expr
    growth: str
    expo: sp.Expr
    coeff: sp.Expr


def dependence(expr: sp.Expr, x: sp.Symbol, direction: str | None = None) -> Dependence:
    """The :class:`Dependence` of ``expr`` on ``x`` in the regime ``direction``."""
    direction = direction or _sym.direction(x)
    w = _Walker(x, direction)
    g = w.walk(expr)
    if g.expo != 0:
        s = w.expo_sign(g.expo)
        return Dependence(x, direction, sp.oo if s > 0 else -sp.oo, g.log_power, "exponential",
                          g.expo, g.coeff)
    exponent = sp.nsimplify(g.power) if g.power.is_Number else g.power
    exponent = exponent if direction == "oo" else -exponent
    if _sign(g.power) != 0:
        growth = "polynomial"
    elif _sign(g.log_power) != 0:
        growth = "polylog"
    else:
        growth = "constant"
    log_power = sp.nsimplify(g.log_power) if g.log_power.is_Number else g.log_power
    return Dependence(x, direction, sp.sympify(exponent), sp.sympify(log_power), growth,
                      sp.Integer(0), g.coeff)


# ----------------------------------------------------------------------------------------------
# Õ-form: what the soft-O notation hides
# ----------------------------------------------------------------------------------------------
def _is_hidden_factor(f: sp.Expr, hidden_logs: frozenset, hidden_exprs: set,
                      inside_log: bool = False) -> bool:
    """A factor Õ hides: a listed hidden factor, or polylogarithmic only in symbols whose logs
    are hidden. Inside a log, any non-exponential factor of those symbols (it adds a hidden log)
    and any polylog factor (it adds a log log) is hidden too."""
    if f in hidden_exprs:
        return True
    params = {s for s in f.free_symbols if not _sym.is_constant(s)}
    if not params:
        return inside_log
    try:
        growths = {s: dependence(f, s).growth for s in params}
    except AsymptoticError:
        return False
    polylog = f.has(sp.log) and all(g in ("polylog", "constant") for g in growths.values())
    if inside_log and polylog:
        return True
    if not params <= hidden_logs:
        return False
    if inside_log:
        return all(g != "exponential" for g in growths.values())
    return polylog


def _dominated(terms: list[sp.Expr]) -> list[bool]:
    """For each addend: True if in every symbol some other addend is at least as large, and
    strictly larger in at least one symbol."""
    params = sorted({s for a in terms for s in a.free_symbols if not _sym.is_constant(s)},
                    key=lambda s: s.name)
    out = []
    for i, a in enumerate(terms):
        dominated = False
        for j, b in enumerate(terms):
            if i == j:
                continue
            try:
                cmps = []
                for s in params:
                    w = _Walker(s, _sym.direction(s))
                    cmps.append(w.compare(w.walk(b), w.walk(a)))
            except AsymptoticError:
                continue
            if all(c >= 0 for c in cmps) and any(c > 0 for c in cmps):
                dominated = True
                break
        out.append(dominated)
    return out


def drop_hidden(e: sp.Expr, hidden_logs: frozenset, hidden_exprs: set) -> sp.Expr:
    if not e.free_symbols:
        return e
    if isinstance(e, sp.Mul):
        kept = [drop_hidden(a, hidden_logs, hidden_exprs) for a in e.args
                if not _is_hidden_factor(a, hidden_logs, hidden_exprs)]
        return sp.Mul(*kept)
    if isinstance(e, sp.Add):
        kept = [a for a in e.args if a.free_symbols and
                not _is_hidden_factor(a, hidden_logs, hidden_exprs)]
        kept = [drop_hidden(a, hidden_logs, hidden_exprs) for a in kept]
        if not kept:
            return sp.Integer(1)
        dom = _dominated(kept)
        return sp.Add(*[a for a, dd in zip(kept, dom, strict=True) if not dd])
    if isinstance(e, sp.Pow):
        base, p = e.args
        return drop_hidden(base, hidden_logs, hidden_exprs) ** p
    if isinstance(e, sp.log):
        arg = sp.factor_terms(e.args[0])
        factors = sp.Mul.make_args(arg)
        kept = [f for f in factors
                if not _is_hidden_factor(f, hidden_logs, hidden_exprs, inside_log=True)]
        if not kept:
            return sp.Integer(1)
        inner = drop_hidden(sp.Mul(*kept), hidden_logs, hidden_exprs)
        return sp.log(inner)
    return e
