"""The derivation check and the proofs' constant arithmetic, computed, never typed in.

* :func:`derivation_check`: for every registered derived statement with ``compare_with``, the
  exponent and log power of every symbol, stated vs derived, and a verdict per symbol.
* :func:`constant_checks`: the constant arithmetic of Lemmas A.1 / A.3 / A.6 (notes §3.3).
* :func:`inequality_checks`: elementary inequalities used in the proofs (Lemma B.1, early
  stopping, the [BBDD24] consistency check), verified symbolically and on a grid.
* :func:`instance_checks`: the §4 instances by quadrature (Lemma 4.1 gap and TV, Lemma 4.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from scipy import integrate
from sympy.calculus.util import function_range

from diffbounds.bounds import _registry, instances
from diffbounds.bounds import symbols as _sym

__all__ = ["SymbolComparison", "PairCheck", "ConstantCheck", "derivation_check",
           "constant_checks", "inequality_checks", "instance_checks", "run_checks",
           "format_report"]


# ----------------------------------------------------------------------------------------------
# stated vs derived
# ----------------------------------------------------------------------------------------------
@dataclass
class SymbolComparison:
    """One symbol of a stated-vs-derived comparison (:func:`derivation_check`).

    Attributes
    ----------
    symbol : str
        The symbol's name.
    stated_exponent, stated_log_power : sympy.Expr
        The stated statement's exponent and log power in the symbol.
    derived_exponent, derived_log_power : sympy.Expr
        The derived statement's.
    verdict : {"agree", "hidden", "MISMATCH"}
        "hidden": they differ only in a log factor that Õ hides.
    reason : str
        Why, for a mismatch.
    """

    symbol: str
    stated_exponent: sp.Expr
    stated_log_power: sp.Expr
    derived_exponent: sp.Expr
    derived_log_power: sp.Expr
    verdict: str          # "agree" | "hidden" | "MISMATCH"
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (expressions as strings).

        Returns
        -------
        dict
        """
        return {"symbol": self.symbol, "stated_exponent": str(self.stated_exponent),
                "stated_log_power": str(self.stated_log_power),
                "derived_exponent": str(self.derived_exponent),
                "derived_log_power": str(self.derived_log_power), "verdict": self.verdict,
                "reason": self.reason}


@dataclass
class PairCheck:
    """A stated statement against a derived one, symbol by symbol.

    Attributes
    ----------
    stated, derived : str
        The two keys.
    rows : list of SymbolComparison
        One per symbol.
    """

    stated: str
    derived: str
    rows: list[SymbolComparison] = field(default_factory=list)

    @property
    def mismatches(self) -> list[SymbolComparison]:
        """The rows whose verdict is "MISMATCH"."""
        return [r for r in self.rows if r.verdict == "MISMATCH"]

    @property
    def agrees(self) -> bool:
        """Whether no row mismatches."""
        return not self.mismatches

    def as_dict(self) -> dict[str, Any]:
        """The fields and ``agrees`` as a JSON-ready dict.

        Returns
        -------
        dict
        """
        return {"stated": self.stated, "derived": self.derived, "agrees": self.agrees,
                "rows": [r.as_dict() for r in self.rows]}


def _compare(stated, derived) -> PairCheck:
    symbols = sorted(set(stated.parameters) | set(derived.parameters),
                     key=lambda s: list(_sym.SYMBOLS.values()).index(s))
    hidden = stated.hidden_log_symbols
    out = PairCheck(stated.key, derived.key)
    for s in symbols:
        ds, dd = stated.dependence(s), derived.dependence(s)
        se, sl, de, dl = ds.exponent, ds.log_power, dd.exponent, dd.log_power
        if sp.simplify(se - de) != 0 if not (se.is_infinite or de.is_infinite) else se != de:
            verdict, reason = "MISMATCH", f"exponent of {s.name} differs"
        elif sp.simplify(sl - dl) != 0:
            if s in hidden:
                verdict = "hidden"
                reason = f"log factors of {s.name} are hidden by Õ in {stated.key}"
            else:
                verdict, reason = "MISMATCH", f"log power of {s.name} differs"
        else:
            verdict, reason = "agree", ""
        out.rows.append(SymbolComparison(s.name, se, sl, de, dl, verdict, reason))
    return out


def derivation_check(keys: list[str] | None = None) -> list[PairCheck]:
    """Stated vs derived, symbol by symbol, for every registered derived statement (or ``keys``).

    Parameters
    ----------
    keys : list of str or None
        Derived statements to check (each with ``compare_with``); None for all of them.

    Returns
    -------
    list of PairCheck
        One per (derived, stated) pair.

    Raises
    ------
    ValueError
        A key without a stated counterpart.
    UnknownKeyError
        An unknown key.

    Examples
    --------
    >>> pc = derivation_check(["gupta2024.theorem_1_2_derived"])[0]
    >>> pc.stated, [r.symbol for r in pc.mismatches]  # the derivation gives ε⁻⁵, not ε⁻³
    ('gupta2024.theorem_1_2', ['epsilon'])
    """
    derived = [_registry.get(k) for k in keys] if keys else [
        st for st in _registry.statements() if st.compare_with]
    out = []
    for dst in derived:
        if not dst.compare_with:
            raise ValueError(f"keys: {dst.key} has no stated counterpart (compare_with is empty)")
        for sk in dst.compare_with:
            out.append(_compare(_registry.get(sk), dst))
    return out


# ----------------------------------------------------------------------------------------------
# constants of the proofs
# ----------------------------------------------------------------------------------------------
@dataclass
class ConstantCheck:
    """One constant or inequality of the proofs, evaluated.

    Attributes
    ----------
    name : str
        What is checked.
    source : str
        Where in the paper.
    expression : str
        The expression evaluated.
    value : str
        Its value.
    claim : str
        What the paper claims of it.
    holds : bool
        Whether the claim holds.
    note : str
        A remark.
    """

    name: str
    source: str
    expression: str
    value: str
    claim: str
    holds: bool
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict.

        Returns
        -------
        dict
        """
        return dict(self.__dict__)


def _rat(p: int, q: int) -> sp.Rational:
    return sp.Rational(p, q)


def _const(name, source, expr: sp.Expr, relation: str, target: sp.Expr, note="") -> ConstantCheck:
    ops = {">": sp.Gt, ">=": sp.Ge, "==": sp.Eq}
    holds = bool(ops[relation](expr, target))
    return ConstantCheck(name, source, f"{sp.sstr(sp.UnevaluatedExpr(expr))}",
                         str(sp.nsimplify(expr)), f"{relation} {target}", holds, note)


def constant_checks() -> list[ConstantCheck]:
    """The constant arithmetic of the training proofs (notes §3.3), evaluated exactly.

    Returns
    -------
    list of ConstantCheck
    """
    a1_net = _rat(1, 16) - _rat(1, 30) - _rat(1, 50)
    a3_net = _rat(1, 16) - _rat(1, 30) - 2 * _rat(1, 1000)
    a6_net = _rat(1, 128) - _rat(1, 250) - _rat(2, 1000)
    a6_final = _rat(1, 600) - _rat(2, 2000)
    return [
        _const("Lemma A.1: net margin 1/16 - 1/30 - 1/50", "Lemma A.1 proof (Cor. A.5, Markov, "
               "Lemma A.3)", a1_net, "==", _rat(11, 1200),
               "bad ERM loses at least this multiple of delta_score eps^2/sigma^2"),
        _const("Lemma A.1: net margin is positive", "Lemma A.1 proof", a1_net, ">", 0),
        _const("Lemma A.3 as stated (/1000): margin 1/16 - 1/30 - 2/1000 positive",
               "Lemma A.3 statement", a3_net, ">", 0,
               "the statement's 1/1000 is stronger than the 1/100 the proof of A.1 uses"),
        _const("Lemma A.6: 1/128 - 1/250 - 2/1000 >= 1/600", "Lemma A.6 proof", a6_net, ">=",
               _rat(1, 600), f"= {a6_net}"),
        _const("Lemma A.6: final constant 1/600 - 2/2000 >= 1/1000", "Lemma A.6, claimed "
               "delta_score eps^2/(1000 sigma^2)", a6_final, ">=", _rat(1, 1000),
               f"= {a6_final} < 1/1000: a constant slip"),
        _const("Lemma A.6: final constant 1/600 - 2/2000 > 0", "Lemma A.6", a6_final, ">", 0,
               "so the lemma itself is unaffected"),
    ]


# ----------------------------------------------------------------------------------------------
# inequalities used in the proofs
# ----------------------------------------------------------------------------------------------
def _grid_ok(f, **ranges) -> bool:
    axes = [np.geomspace(lo, hi, 25) for lo, hi in ranges.values()]
    mesh = np.meshgrid(*axes, indexing="ij")
    vals = f(*mesh)
    return bool(np.all(vals <= 1e-12 * (1 + np.abs(vals))))


def inequality_checks() -> list[ConstantCheck]:
    """Inequalities of the sampling proofs, symbolically where SymPy can, else on a grid.

    Returns
    -------
    list of ConstantCheck
    """
    d, t, T = _sym.d, _sym.t, _sym.T
    out = []
    # Lemma B.1: int_gamma^T du/(1-e^{-2u}) = (log(e^{2T}-1) - log(e^{2 gamma}-1))/2
    #            <= T + log(1/gamma)
    u = sp.Symbol("u", positive=True)
    antider = sp.log(sp.exp(2 * u) - 1) / 2
    exact_ok = sp.simplify(sp.diff(antider, u) - 1 / (1 - sp.exp(-2 * u))) == 0
    closed = lambda TT, gg: 0.5 * (np.log(np.expm1(2 * TT)) - np.log(np.expm1(2 * gg)))
    quad_ok = all(abs(integrate.quad(lambda v: 1 / -math.expm1(-2 * v), gg, TT)[0]
                      - closed(TT, gg)) < 1e-8 * closed(TT, gg)
                  for TT, gg in ((1.0, 1e-3), (5.0, 0.1), (10.0, 1e-6)))
    bound_ok = _grid_ok(lambda TT, gg: closed(TT, gg) - (TT + np.log(1 / gg)),
                        T=(1e-2, 50.0), gamma=(1e-10, 0.999))
    out.append(ConstantCheck(
        "Lemma B.1: int_gamma^T du/(1-e^{-2u}) <= T + log(1/gamma)", "Lemma B.1 proof",
        "(log(e^{2T}-1) - log(e^{2 gamma}-1))/2", "closed form (checked by d/du and quad)",
        "<= T + log(1/gamma) for gamma < 1, T > gamma", exact_ok and quad_ok and bound_ok,
        "grid T in [0.01, 50], gamma in [1e-10, 0.999]"))
    # early stopping: W2 at t_stop = min(g, g^2 m2^2/d): t m2 + sqrt(2 t d) <= (1 + sqrt2) g m2
    tstop = lambda gg, mm, dd: np.minimum(gg, gg ** 2 * mm ** 2 / dd)
    w2 = lambda gg, mm, dd: tstop(gg, mm, dd) * mm + np.sqrt(2 * tstop(gg, mm, dd) * dd)
    ok = _grid_ok(lambda gg, mm, dd: w2(gg, mm, dd) - (1 + math.sqrt(2)) * gg * mm,
                  gamma=(1e-8, 0.999), m_2=(1e-3, 1e3), d=(1.0, 1e6))
    out.append(ConstantCheck(
        "Early stopping: W2(q_0, q_t_stop) <= (1 + sqrt 2) gamma m_2", "Theorem C.2 proof",
        "t m_2 + sqrt(2 t d) at t = min(gamma, gamma^2 m_2^2/d)", "grid",
        "<= (1+sqrt2) gamma m_2", ok, "so W2 = O(gamma m_2) as the proof says"))
    # W2^2(q_0, q_t) <= (1-e^{-t})^2 m2^2 + sigma_t^2 d <= t^2 m2^2 + 2 t d
    # t - (1 - e^{-t}) and 2t - (1 - e^{-2t}) vanish at 0 with non-negative derivatives
    half_line = sp.Interval(0, sp.oo)
    sym_ok = all(
        (f.subs(t, 0) == 0
         and function_range(sp.diff(f, t), t, half_line).inf >= 0)
        for f in (t - (1 - sp.exp(-t)), 2 * t - (1 - sp.exp(-2 * t))))
    grid_ok = _grid_ok(lambda tt, mm, dd: (-np.expm1(-tt)) ** 2 * mm ** 2
                       - np.expm1(-2 * tt) * dd - (tt ** 2 * mm ** 2 + 2 * tt * dd), t=(1e-8, 10.0),
                       m_2=(1e-3, 1e3), d=(1.0, 1e6))
    out.append(ConstantCheck(
        "W2^2(q_0,q_t) <= (1-e^{-t})^2 m_2^2 + sigma_t^2 d <= t^2 m_2^2 + 2 t d",
        "Theorem C.2 proof (notes §2.6)", "both differences are 0 at t = 0 with "
        "non-negative derivative", "symbolic + grid", "<=", sym_ok and grid_ok))
    # [BBDD24] consistency: kappa = (T + log(1/g))/N gives kappa^2 d N + kappa d T
    #   <= 2 d (T + log(1/g))^2 / N  (Lemma B.4 through Pinsker)
    N, Lg = _sym.N, sp.Symbol("ell", positive=True)
    kappa = (T + Lg) / N
    diff = sp.factor(2 * d * (T + Lg) ** 2 / N - (kappa ** 2 * d * N + kappa * d * T))
    out.append(ConstantCheck(
        "[BBDD24] Thm 1 terms with kappa = (T+log(1/gamma))/N <= 2d(T+log(1/gamma))^2/N",
        "notes §8 consistency check (UNVERIFIED form)", str(diff), "symbolic", ">= 0",
        bool(diff.is_nonnegative), "ell = log(1/gamma) > 0"))
    return out


# ----------------------------------------------------------------------------------------------
# the lower-bound instances
# ----------------------------------------------------------------------------------------------
def instance_checks() -> list[ConstantCheck]:
    """Lemma 4.1 (gap and TV) and Lemma 4.2 (literal vs natural crossover) by quadrature.

    Returns
    -------
    list of ConstantCheck
    """
    out = []
    ratios = [instances.lemma_4_1_l2_gap(R, e, s) / (e ** 2 / s ** 2)
              for R, e, s in ((100.0, 1.0, 1.0), (1000.0, 1.0, 1.0), (100.0, 0.5, 1.0),
                              (100.0, 1.0, 0.5))]
    out.append(ConstantCheck(
        "Lemma 4.1: E_{p1}||s1 - s2||^2 / (eps^2/sigma^2) -> 1", "Lemma 4.1",
        "quadrature at (R, eps, sigma) = (100,1,1), (1000,1,1), (100,.5,1), (100,1,.5)",
        ", ".join(f"{r:.4f}" for r in ratios), "within 5% of 1",
        all(abs(r - 1) < 0.05 for r in ratios), "the lemma's >~ holds with constant 1"))
    tv = instances.lemma_4_1_tv(100.0, 1.0, 1.0)
    eta = 1.0 / 100.0 ** 2
    out.append(ConstantCheck(
        "Lemma 4.1: TV(p1, p2) <= eta (the proof's 'TV >~ eta' is a typo)", "Lemma 4.1 proof",
        "eta erf(R/(sqrt2 sigma)) at R=100, eps=sigma=1", f"{tv / eta:.6f} eta", "<= eta",
        tv <= eta))
    m, S, sigma = 1000.0, 100.0, 1.0
    claim = S ** 2 / (m * sigma ** 4)
    x_lit = 10 * math.sqrt(math.log(m))
    log_lit = instances.lemma_4_2_log_l2_error(S, sigma, x_lit)
    out.append(ConstantCheck(
        "Lemma 4.2 at the literal x_0 = 10 sqrt(log m): E||s_hat - s*||^2 >~ S^2/(m sigma^4)",
        "Lemma 4.2 / Figure 2", f"quadrature, m={m:g}, S={S:g}, sigma={sigma:g}, "
        f"x_0={x_lit:.3f}", f"{math.exp(log_lit):.3e} vs claim {claim:g}",
        ">~ S^2/(m sigma^4)", math.exp(log_lit) >= 1e-3 * claim,
        f"ratio 10^{(log_lit - math.log(claim)) / math.log(10):.1f}: the claim needs the "
        "crossover near sigma sqrt(2 log m)"))
    x_nat = sigma * math.sqrt(2 * math.log(m))
    val = instances.lemma_4_2_l2_error(S, sigma, x_nat)
    polylog = 1 / (x_nat / sigma * math.sqrt(2 * math.pi))
    out.append(ConstantCheck(
        "Lemma 4.2 at x_0 = sigma sqrt(2 log m): E||s_hat - s*||^2 ~ S^2/(m sigma^4) up to logs",
        "Lemma 4.2 (notes §6.2)", f"quadrature, x_0={x_nat:.3f}",
        f"{val:.4g} = {val / claim:.3f} x claim (predicted 1/(x_0 sqrt(2 pi)) = {polylog:.3f})",
        "within a factor 2 of S^2/(m sigma^4) / (x_0 sqrt(2 pi))",
        0.5 <= (val / claim) / polylog <= 2.0,
        "but then 'all samples below x_0' holds only with constant probability"))
    return out


def run_checks() -> dict[str, Any]:
    """Every check; ``report["derivation"]`` etc. hold the result objects.

    Returns
    -------
    dict
        "derivation" (list of PairCheck), "constants", "inequalities" and "instances" (lists
        of ConstantCheck).
    """
    return {"derivation": derivation_check(), "constants": constant_checks(),
            "inequalities": inequality_checks(), "instances": instance_checks()}


def _fmt(e: sp.Expr) -> str:
    return sp.sstr(e)


def format_report(report: dict[str, Any]) -> str:
    """A terminal-readable rendering of :func:`run_checks`.

    Parameters
    ----------
    report : dict
        The result of :func:`run_checks`.

    Returns
    -------
    str
        The report, one line per comparison and check.
    """
    lines = ["Derivation check: stated vs derived (exponent, log power per symbol)", ""]
    for pc in report["derivation"]:
        lines.append(f"{pc.stated}  vs  {pc.derived}   "
                     f"[{'agrees' if pc.agrees else f'{len(pc.mismatches)} MISMATCH'}]")
        lines.append(f"  {'symbol':<10} {'stated exp':>10} {'log':>5}   {'derived exp':>11} "
                     f"{'log':>5}   verdict")
        for r in pc.rows:
            flag = {"agree": "ok", "hidden": "ok (log hidden by Õ)",
                    "MISMATCH": f"MISMATCH: {r.reason}"}[r.verdict]
            lines.append(f"  {r.symbol:<10} {_fmt(r.stated_exponent):>10} "
                         f"{_fmt(r.stated_log_power):>5}   {_fmt(r.derived_exponent):>11} "
                         f"{_fmt(r.derived_log_power):>5}   {flag}")
        lines.append("")
    for title, name in (("Constant arithmetic of the proofs (notes §3.3)", "constants"),
                        ("Inequalities used in the proofs", "inequalities"),
                        ("Lower-bound instances (§4), by quadrature", "instances")):
        lines.append(title)
        for c in report[name]:
            lines.append(f"  [{'holds' if c.holds else 'FAILS'}] {c.name}")
            lines.append(f"          {c.value}" + (f"   ({c.note})" if c.note else ""))
        lines.append("")
    n_mis = sum(len(pc.mismatches) for pc in report["derivation"])
    n_fail = sum(not c.holds for k in ("constants", "inequalities", "instances")
                 for c in report[k])
    lines.append(f"Summary: {n_mis} exponent/log-power mismatch(es) between stated and derived "
                 f"statements; {n_fail} check(s) that fail.")
    return "\n".join(lines)

