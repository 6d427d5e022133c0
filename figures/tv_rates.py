"""TV vs N and TV vs ε on log-log axes, the bound's slope beside the measured one.

(a) Claim ``discretization``: exact score, TV(p̂_N, q_{t_stop}) vs N against Lemma B.4
(C: its pinned ledger constant), exponent −½. (b) Claim ``propagation_tv``: TV between the chain
with a half-space score error (quantile error eps/σ_t) and the exact-score chain vs eps, on the
claim's ε line, against the ε-term of Corollary B.6 (exponent 1; its constant is the
smallest that covers the plotted points). Measured slopes: OLS with 95% half-widths
(``claims.verdict.loglog_slope``). Quick size: panel (b) measures three eps at N = 50,
lattice spacing 0.1.
"""

from __future__ import annotations

import numpy as np

from diffbounds import bounds
from diffbounds.figures import _source, _style

NAME = "tv_rates"
CLAIMS = ("discretization", "propagation_tv")
COLUMNS = ("panel", "x", "tv", "tv_uncertainty", "bound")

QUICK_EPS = (0.05, 0.1, 0.2)
QUICK_POINT = dict(N=50, delta_step=1e-4, spacing=0.1)


def _panel_n(store):
    record, source = _source.claim_record("discretization", store=store)
    n = np.asarray(record.params["N"], float)
    o = np.argsort(n)
    s = record.slopes[0]
    return dict(x=n[o], tv=np.asarray(record.measured, float)[o],
                unc=np.asarray(record.uncertainty, float)[o],
                bound=np.asarray(record.predicted, float)[o]
                * record.ledger.get(record.statements[0], 1.0), slope=s.slope,
                half_width=s.half_width, exponent=s.exponent,
                constant=record.ledger.get(record.statements[0], 1.0),
                statement=record.statements[0], source=source,
                parameters=dict(T=record.params["T"], t_stop=record.params["t_stop"], d=1))


def _panel_eps(quick, store):
    from diffbounds.claims import _propagation_common as propagation
    from diffbounds.claims.verdict import loglog_slope

    stmt = bounds.get("gupta2024.corollary_b6")
    got = _source.stored_results("propagation_tv", store)
    if got is not None or not quick:
        record, source = _source.claim_record("propagation_tv", store=store)
        eps, n, delta = (np.asarray(record.params[k], float) for k in ("eps", "N", "delta_step"))
        y = np.asarray(record.details["tv_to_exact_chain"], float)
        from diffbounds.claims.propagation_tv import _centre

        c = _centre([dict(eps=e, N=k, delta_step=d) for e, k, d in zip(eps, n, delta,
                                                                       strict=True)])
        sel = (n == c["N"]) & (delta == c["delta_step"])  # the claim's ε line
        eps, y, N, dl = eps[sel], y[sel], c["N"], c["delta_step"]
        spacing = None
    else:
        claim = _source.get_claim("propagation_tv")
        rows = [claim.measure(eps=e, **QUICK_POINT) for e in QUICK_EPS]
        eps = np.array(QUICK_EPS)
        y = np.array([r["tv_to_exact_chain"] for r in rows])
        N, dl, spacing = QUICK_POINT["N"], QUICK_POINT["delta_step"], QUICK_POINT["spacing"]
        source = "quick run (reduced grid)"
    o = np.argsort(eps)
    eps, y = eps[o], y[o]
    slope, half = loglog_slope(eps, y)
    term = eps * np.sqrt(propagation.T_HORIZON + np.log(1 / propagation.T_STOP))
    constant = float(np.max(y / term))
    return dict(x=eps, tv=y, unc=np.zeros_like(y), bound=constant * term, slope=slope,
                half_width=half, exponent=propagation.term_exponent(stmt, "epsilon"),
                constant=constant, statement=stmt.key, source=source,
                parameters=dict(N=N, delta_step=dl, spacing=spacing, T=propagation.T_HORIZON,
                                t_stop=propagation.T_STOP, d=1, region="halfspace",
                                direction="adversarial"))


def _frac(x: float) -> str:
    from fractions import Fraction

    f = Fraction(x).limit_denominator(8)
    return f"{f.numerator}/{f.denominator}" if f.denominator != 1 else f"{f.numerator}"


def _draw(ax, panel, color, xlabel, ylabel, bound_label):
    ax.errorbar(panel["x"], panel["tv"], yerr=panel["unc"], fmt="o-", color=color, ms=4,
                label=f"measured, slope {panel['slope']:.2f} $\\pm$ {panel['half_width']:.2f}")
    ax.plot(panel["x"], panel["bound"], "--", color="0.25",
            label=f"{bound_label}, slope {_frac(panel['exponent'])}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _style.plain_log_ticks(ax, "x", panel["x"])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


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
    a = _panel_n(store)
    b = _panel_eps(quick, store)
    pa, pb = a["parameters"], b["parameters"]
    caption = (f"(a) TV of the exact-score sampler against steps N (T = {pa['T']:g}, "
               f"t_stop = {pa['t_stop']:g}, d = 1) with "
               f"{_style.statement_label(a['statement'])} times its pinned ledger constant "
               f"C = {a['constant']:.3g}. (b) TV between the chains with and without a score "
               f"error of quantile D^δ = ε/σ_t (N = {int(pb['N'])}, δ_step = "
               f"{pb['delta_step']:g}, d = 1) with the ε-term of "
               f"{_style.statement_label(b['statement'])}, C = {b['constant']:.3g} (the smallest "
               f"covering the plotted points). Slopes: "
               f"least squares in log-log with 95 % intervals.")
    with _style.style():
        fig = _style.figure("full", 2.6)
        ax1, ax2 = fig.subplots(1, 2)
        _draw(ax1, a, _style.PALETTE[0], "steps $N$",
              r"TV$(\hat p_N,\, q_{t_{\rm stop}})$",
              f"{_style.statement_label(a['statement'])}, $C={a['constant']:.3g}$ (ledger)")
        ax1.set_title("(a) discretization", loc="left")
        _draw(ax2, b, _style.PALETTE[1], r"quantile score error $\varepsilon$",
              "TV(perturbed, exact chain)",
              f"$\\varepsilon$-term of {_style.statement_label(b['statement'])}, "
              f"$C={b['constant']:.3g}$")
        ax2.set_title("(b) score error", loc="left")
        _style.legend_outside(fig, [ax1, ax2], ncols=2)
    data = dict(panel=["N"] * len(a["x"]) + ["epsilon"] * len(b["x"]),
                x=np.concatenate([a["x"], b["x"]]), tv=np.concatenate([a["tv"], b["tv"]]),
                tv_uncertainty=np.concatenate([a["unc"], b["unc"]]),
                bound=np.concatenate([a["bound"], b["bound"]]))
    strip = ("x", "tv", "unc", "bound")
    prov = _style.provenance(
        NAME, caption=caption, claim=list(CLAIMS), statements=[a["statement"], b["statement"]],
        source={"N": a["source"], "epsilon": b["source"]},
        parameters={"N": a["parameters"], "epsilon": b["parameters"]}, seeds=None,
        panels={"N": {k: v for k, v in a.items() if k not in strip},
                "epsilon": {k: v for k, v in b.items() if k not in strip}})
    return _style.save(fig, NAME, data, prov, outdir)
