"""Empirical sample complexity: m* against Lemmas A.2 / A.1 with fitted slopes, and the L²
contrast of Lemma 4.1.

Claim ``sample_complexity_quantile``: m* = the smallest m at which the ERM's score has
D^δ ≤ ε/σ_t with probability ≥ 1 − δ_train, per hypothesis class. Panels: m* vs ε, one curve
per δ, beside C·B (dashed; B = Lemma A.2 for the finite class, Lemma A.1 for the mixture
class; C the ledger's pinned constant), with the claim's log-log slopes in ε and δ against the
lemma's exponents; last panel: m* for L² accuracy and for D^δ accuracy vs σ_t on Lemma 4.1's
pair, slope vs the σ-exponent. Quick size: the claim's quick grid with 60 seeds (finite
class, L² pair) and 10 seeds (mixture class).
"""

from __future__ import annotations

import numpy as np

from diffbounds.figures import _source, _style

NAME = "sample_complexity"
CLAIM = "sample_complexity_quantile"
COLUMNS = ("cls", "eps", "delta_score", "sigma_t", "m_star", "uncertainty", "bound",
           "m_star_l2", "m_star_quantile")
#: test size: seeds per grid point by class (the claim's quick grid otherwise)
QUICK_SEEDS = {"finite": 60, "mixture": 10, "l2_pair": 60}


def _quick_points():
    grid = _source.get_claim(CLAIM).grid(quick=True)
    return [{**p, "n_seeds": QUICK_SEEDS[p["cls"]]} for p in grid]


def _slope_text(slopes, cls, param, tex):
    for s in slopes:
        if s.parameter == f"{cls}:{param}":
            return (f"slope in ${tex}$: {s.slope:.2f} $\\pm$ {s.half_width:.2f} "
                    f"(bound {s.exponent:g})")
    return ""


def make(quick: bool = True, store: _style.StoreArg = None,
         outdir: _style.PathArg = None) -> dict[str, str]:
    """Render the figure and write ``NAME.{pdf,png,csv,json}`` (``_style.save``).

    Parameters
    ----------
    quick : bool
        Test size when the store does not hold the figure's claim (else the claim's quick
        grid).
    store : str, os.PathLike, None or False
        The result store to read: a path, None for the default store shared with
        ``diffbounds sweep`` if it exists, or False to never read one.
    outdir : str, os.PathLike or None
        Output folder; default ``$DIFFBOUNDS_FIGURES`` or ``./figures/output/``.

    Returns
    -------
    dict
        ``{"pdf": path, "png": path, "csv": path, "json": path}`` (str paths).

    Raises
    ------
    ValueError
        An explicit ``store`` that does not exist.
    FigureDataUnavailable
        The figure's claim is not registered and no store holds its results.
    """
    record, source = _source.claim_record(
        CLAIM, store=store,
        quick_points=_quick_points() if quick and _source.stored_results(CLAIM, store) is None
        else None)
    per = record.details["per_class"]
    classes = [c for c in ("finite", "mixture") if c in per]
    cols: dict[str, list] = {k: [] for k in COLUMNS}
    slope_lines: list[str] = []
    with _style.style():
        fig = _style.figure("full", 2.8)
        axes = fig.subplots(1, len(classes) + ("l2_pair" in per))
        axes = np.atleast_1d(axes)
        for ax, cls in zip(axes, classes, strict=False):
            e = per[cls]
            eps, delta = np.asarray(e["eps"], float), np.asarray(e["delta_score"], float)
            ms, unc = np.asarray(e["m_star"], float), np.asarray(e["uncertainty"], float)
            C = float(e.get("ledger_constant") or 1.0)
            bound = C * np.asarray(e["bound"], float)
            for i, dl in enumerate(np.unique(delta)):
                sel = np.flatnonzero(delta == dl)
                sel = sel[np.argsort(eps[sel])]
                col = _style.PALETTE[i % len(_style.PALETTE)]
                ax.errorbar(eps[sel], ms[sel], yerr=unc[sel], fmt="o-", color=col, ms=3.5,
                            capsize=1.5, label=f"$\\delta={dl:g}$")
                ax.plot(eps[sel], bound[sel], "--", color=col, lw=0.9)
            lemma = _style.statement_label(e["statement"])
            ax.plot([], [], "--", color="0.3", label=f"{lemma}, $C={C:.2g}$ (ledger)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            _style.plain_log_ticks(ax, "x", eps)
            ax.set_xlabel(r"score accuracy $\varepsilon$ ($D^\delta\leq\varepsilon/\sigma_t$)")
            ax.set_ylabel(r"samples $m^*$ (w.p. $\geq 1-\delta_{\rm train}$)")
            txt = "\n".join(t for t in (_slope_text(record.slopes, cls, "epsilon", r"\varepsilon"),
                                        _slope_text(record.slopes, cls, "delta_score", r"\delta"))
                            if t)
            ax.set_title(f"{cls} class", loc="left")
            slope_lines.append(f"{cls} class vs {lemma}: {txt}".replace("\n", "; "))
            n = eps.size
            for k, v in (("cls", [cls] * n), ("eps", eps), ("delta_score", delta),
                         ("sigma_t", [None] * n), ("m_star", ms), ("uncertainty", unc),
                         ("bound", bound), ("m_star_l2", e["m_star_l2"]),
                         ("m_star_quantile", ms)):
                cols[k].extend(np.asarray(v, dtype=object).tolist())
        if "l2_pair" in per:
            ax = axes[-1]
            e = per["l2_pair"]
            sig = np.asarray(e["sigma_t"], float)
            o = np.argsort(sig)
            sig = sig[o]
            ml2, mq = (np.asarray(e[k], float)[o] for k in ("m_star_l2", "m_star_quantile"))
            unc = np.asarray(e["uncertainty"], float)[o]
            s = next((s for s in record.slopes if s.parameter.startswith("l2_pair")), None)
            lab = "" if s is None else f", slope {s.slope:.2f} $\\pm$ {s.half_width:.2f}"
            ax.errorbar(sig, ml2, yerr=unc, fmt="o-", color=_style.PALETTE[1], ms=3.5,
                        capsize=1.5, label=f"L$^2$ accuracy{lab}")
            ax.plot(sig, mq, "s-", color=_style.PALETTE[2], ms=3.5,
                    label=r"$D^\delta$ accuracy ($\delta=0.01$)".replace(
                        "0.01", f"{_first(record, 'l2_pair', 'delta_score'):g}"))
            if s is not None:
                guide = np.exp(np.mean(np.log(ml2)) + s.exponent * (np.log(sig)
                                                                    - np.mean(np.log(sig))))
                ax.plot(sig, guide, ":", color="0.3",
                        label=f"Lem. 4.1 slope {s.exponent:g} (guide)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            _style.plain_log_ticks(ax, "x", sig)
            ax.set_xlabel(r"noise level $\sigma_t$")
            ax.set_ylabel("samples $m^*$")
            ax.set_title("Lem. 4.1 pair", loc="left")
            n = sig.size
            for k, v in (("cls", ["l2_pair"] * n), ("eps", [None] * n),
                         ("delta_score", [None] * n), ("sigma_t", sig), ("m_star", ml2),
                         ("uncertainty", unc), ("bound", [None] * n), ("m_star_l2", ml2),
                         ("m_star_quantile", mq)):
                cols[k].extend(np.asarray(v, dtype=object).tolist())
        _style.legend_outside(fig, axes, ncols=3)
    caption = ("Samples m* the ERM needs for a score of quantile accuracy ε (D^δ ≤ ε/σ_t) "
               "with probability ≥ 1 − δ_train, per hypothesis class, against the bound of "
               "Lemma A.1/A.2 (dashed, fitted constant); the last panel compares the samples "
               "needed for L² and for quantile accuracy on the Lemma 4.1 pair as σ_t varies. "
               "Measured slopes: " + " | ".join(slope_lines).replace("$", "").replace(
                   "\\varepsilon", "ε").replace("\\delta", "δ").replace("\\pm", "±") + ".")
    prov = _style.provenance(
        NAME, caption=caption, claim=CLAIM, statements=record.statements, source=source,
        parameters=dict(classes=sorted(per), delta_train=record.params["delta_train"],
                        n_seeds=QUICK_SEEDS if source.startswith("quick") else "claim grid",
                        truth=record.params.get("truth")),
        seeds=None, holds=record.holds, slopes=[s.to_dict() for s in record.slopes],
        ledger_constants={c: v.get("ledger_constant") for c, v in per.items()
                          if "ledger_constant" in v})
    return _style.save(fig, NAME, cols, prov, outdir)


def _first(record, cls, key):
    vals = [v for c, v in zip(record.params["cls"], record.params[key], strict=True) if c == cls]
    return float(vals[0]) if vals else float("nan")
