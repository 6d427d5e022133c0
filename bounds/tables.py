"""Comparison tables: one row per statement, one column per parameter, each cell the dependence
computed from the expression (ε^-3, log^3(1/γ), exponential in D, ...), never typed by hand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy as sp

from diffbounds.bounds import _asymptotics, _registry
from diffbounds.bounds import symbols as _sym
from diffbounds.bounds.statement import Statement

__all__ = ["table", "table_rows", "format_dependence", "DEFAULT_TABLE_KEYS"]

DEFAULT_TABLE_KEYS = (
    "gupta2024.theorem_1_2", "gupta2024.theorem_1_2_derived", "block2020.samples",
    "chen_huang_zhao_wang2023.samples", "gupta2024.lemma_1_3", "gupta2024.steps_derived",
    "benton2024.steps", "chen2023.steps", "chen_lee_lu2023.steps",
)

_MD_NAME = {"Theta": "Θ", "epsilon": "ε", "gamma": "γ", "delta": "δ", "delta_score": "δ_score",
            "delta_train": "δ_train", "m_2": "m₂", "sigma": "σ", "eta": "η", "x_0": "x₀",
            "kappa": "κ", "H": "|H|", "epsilon_score": "ε_score", "beta": "β"}
_TEX_NAME = {"Theta": r"\Theta", "epsilon": r"\varepsilon", "gamma": r"\gamma",
             "delta": r"\delta", "delta_score": r"\delta_{\rm score}",
             "delta_train": r"\delta_{\rm train}", "m_2": "m_2", "sigma": r"\sigma",
             "eta": r"\eta", "x_0": "x_0", "kappa": r"\kappa", "H": r"|\mathcal H|",
             "epsilon_score": r"\varepsilon_{\rm score}", "beta": r"\beta"}
_FORMATS = ("markdown", "latex")


def _name(s: sp.Symbol, fmt: str) -> str:
    return (_TEX_NAME if fmt == "latex" else _MD_NAME).get(s.name, s.name)


def _num(e: sp.Expr, fmt: str) -> str:
    if fmt == "latex":
        return sp.latex(e)
    e = sp.sympify(e)
    if e.is_Integer or e.is_Rational:
        return str(e)
    return "(" + sp.sstr(e).replace("*", "") + ")"


def format_dependence(dep: _asymptotics.Dependence, fmt: str = "markdown",
                      drop_log: bool = False) -> str:
    """Render a :class:`~bounds.Dependence` as text: ``ε^-3``, ``log^3(1/γ)``, ``exp. in D``.

    Parameters
    ----------
    dep : Dependence
        The dependence.
    fmt : {"markdown", "latex"}
        Output format.
    drop_log : bool
        Leave out the log factor.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        An unknown format.

    Examples
    --------
    >>> from diffbounds import bounds
    >>> format_dependence(bounds.dependence("gupta2024.theorem_1_2", "gamma"))
    'log^3(1/γ)'
    """
    if fmt not in _FORMATS:
        raise ValueError(f"format: expected one of {_FORMATS}, got {fmt!r}")
    x = _name(dep.symbol, fmt)
    if dep.growth == "exponential":
        word = "exponential" if dep.exponent == sp.oo else "exp. decay"
        return f"{word} in ${x}$" if fmt == "latex" else f"{word} in {x}"
    parts = []
    if dep.growth == "polynomial":
        if fmt == "latex":
            parts.append(x if dep.exponent == 1 else f"{x}^{{{_num(dep.exponent, fmt)}}}")
        else:
            parts.append(x if dep.exponent == 1 else f"{x}^{_num(dep.exponent, fmt)}")
    k = dep.log_power
    if k != 0 and not drop_log:
        arg = x if dep.direction == "oo" else (f"1/{x}" if fmt == "latex" else f"1/{x}")
        if fmt == "latex":
            power = "" if k == 1 else f"^{{{_num(k, fmt)}}}"
            parts.append(rf"\log{power}({arg})")
        else:
            power = "" if k == 1 else f"^{_num(k, fmt)}"
            parts.append(f"log{power}({arg})")
    if not parts:
        if dep.growth == "polylog" and drop_log:
            return "$\\widetilde O(1)$" if fmt == "latex" else "Õ(1)"
        return "bounded"
    body = (r" \, " if fmt == "latex" else "·").join(parts)
    return f"${body}$" if fmt == "latex" else body


def _columns(sts: Sequence[Statement], symbols) -> list[sp.Symbol]:
    if symbols is not None:
        return [_sym.as_symbol(s, argument="symbols") for s in symbols]
    present = set().union(*(set(st.parameters) for st in sts))
    order = list(_sym.SYMBOLS.values())
    return [s for s in order if s in present]


def table_rows(keys: Sequence[str] | None = None, *,
               symbols: Sequence[str | sp.Symbol] | None = None, soft: bool = True
               ) -> tuple[list[sp.Symbol], list[dict[str, Any]]]:
    """The data of :func:`table`: columns and one dict per statement (cells as Dependence).

    Parameters
    ----------
    keys : sequence of str or None
        Statement keys; None for :data:`DEFAULT_TABLE_KEYS`.
    symbols : sequence of str or sympy.Symbol, or None
        The columns; None for every parameter of the statements.
    soft : bool
        Mark the log factors that a statement's Õ hides.

    Returns
    -------
    (list of sympy.Symbol, list of dict)
        The columns, and per statement its key, quantity, status and cells (symbol name →
        (Dependence, hidden) or None where the statement lacks the symbol).

    Raises
    ------
    UnknownKeyError
        An unknown key.

    Examples
    --------
    >>> cols, rows = table_rows(["gupta2024.theorem_1_2"], symbols=["epsilon"])
    >>> cols, rows[0]["cells"]["epsilon"][0].exponent
    ([epsilon], -3)
    """
    keys = list(keys) if keys else list(DEFAULT_TABLE_KEYS)
    sts = [_registry.get(k) for k in keys]
    cols = _columns(sts, symbols)
    rows = []
    for st in sts:
        cells: dict[str, Any] = {}
        for s in cols:
            if s not in st.parameters:
                cells[s.name] = None
                continue
            dep = st.dependence(s)
            hide = soft and s in st.hidden_log_symbols
            cells[s.name] = (dep, hide)
        rows.append({"key": st.key, "quantity": st.quantity, "status": st.status,
                     "cells": cells})
    return cols, rows


def table(keys: Sequence[str] | None = None, format: str = "markdown", *,
          symbols: Sequence[str | sp.Symbol] | None = None, soft: bool = True) -> str:
    """Comparison table of ``keys`` (default :data:`DEFAULT_TABLE_KEYS`), one column per
    parameter. With ``soft`` (default) the log factors that a statement's Õ hides are dropped.

    ``format`` is "markdown" or "latex" (``ValueError`` otherwise); ``symbols`` restricts the
    columns. ``diffbounds bounds table`` prints the default table.

    Parameters
    ----------
    keys : sequence of str or None
        Statement keys; None for the default table.
    format : {"markdown", "latex"}
        Output format.
    symbols : sequence of str or sympy.Symbol, or None
        The columns.
    soft : bool
        Drop the log factors a statement's Õ hides.

    Returns
    -------
    str
        The table.

    Raises
    ------
    ValueError
        An unknown format.
    UnknownKeyError
        An unknown key.

    Examples
    --------
    >>> from diffbounds import bounds
    >>> print(bounds.table(["gupta2024.theorem_1_2"], symbols=["epsilon", "d"]).splitlines()[2])
    | gupta2024.theorem_1_2 | samples | VERBATIM | ε^-3 | d^2 |
    """
    if format not in _FORMATS:
        raise ValueError(f"format: expected one of {_FORMATS}, got {format!r}")
    cols, rows = table_rows(keys, symbols=symbols, soft=soft)
    absent = "—" if format == "markdown" else "--"

    def cell(c) -> str:
        if c is None:
            return absent
        dep, hide = c
        return format_dependence(dep, format, drop_log=hide)

    header = ["statement", "quantity", "status"] + [_name(s, format) for s in cols]
    body = [[r["key"], r["quantity"], r["status"]] + [cell(r["cells"][s.name]) for s in cols]
            for r in rows]
    if format == "markdown":
        head = [h if h.isascii() else h for h in header]
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in body]
        note = ("\n\nDependence as each symbol → its regime (ε, γ, δ → 0; d, P, D, Θ, N, m → ∞) "
                "with the others fixed" + ("; log factors hidden by each statement's Õ dropped."
                                           if soft else "."))
        return "\n".join(lines) + note
    tex_head = ["statement", "quantity", "status"] + [f"${_name(s, 'latex')}$" for s in cols]
    esc = lambda s: s.replace("_", r"\_")
    lines = [r"\begin{tabular}{" + "lll" + "c" * len(cols) + "}", r"\hline",
             " & ".join(tex_head) + r" \\", r"\hline"]
    lines += [" & ".join([esc(r[0]), esc(r[1]), r[2]] + r[3:]) + r" \\" for r in body]
    lines += [r"\hline", r"\end{tabular}"]
    return "\n".join(lines)
