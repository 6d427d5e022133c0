"""Quantile vs L² error: the same D^δ, L² error over orders of magnitude, TV flat (Cor. B.6).

Claim ``l2_versus_quantile``: half-space score errors with one (1 − δ)-quantile error eps/σ_t
and ``bad_magnitude`` from 1 up; x: the integrated L² error ε²_score = Σ_k h_k E‖ŝ − s‖²;
y: the measured TV(p̂, q_{t_stop}) (exact 1-D laws, error bars: method error), Corollary B.6
with its ledger constant (flat: it sees only D^δ) and Benton et al.'s L²-based √(KL/2).
Quick size: the claim's quick magnitudes, lattice spacing 0.1.
"""

from __future__ import annotations

import numpy as np

from diffbounds.figures import _source, _style

NAME = "quantile_vs_l2"
CLAIM = "l2_versus_quantile"
#: test size: the claim's quick magnitudes on a coarser lattice (spacing 0.1)
QUICK_SPACING = 0.1
COLUMNS = ("bad_magnitude", "l2_error_integrated", "tv", "tv_uncertainty", "b6_bound",
           "benton_tv_bound")


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
    quick_points = None
    if quick:
        grid = _source.get_claim(CLAIM).grid(quick=True)
        quick_points = [dict(bad_magnitude=p["bad_magnitude"], spacing=QUICK_SPACING)
                        for p in grid]
    record, source = _source.claim_record(CLAIM, store=store, quick_points=quick_points)
    p = record.params
    mags = np.asarray(p["bad_magnitude"], float)
    order = np.argsort(mags)
    l2 = np.asarray(record.details["l2_error_integrated"], float)[order]
    tv = np.asarray(record.measured, float)[order]
    unc = np.asarray(record.uncertainty, float)[order]
    # the bound with B.6's pinned ledger constant (claims/ledger.toml), as the claim checks it
    C = record.ledger.get(record.statements[0])
    b6 = np.asarray(record.predicted, float)[order] * (C if C is not None else 1.0)
    benton = np.asarray(record.details["benton_tv_bound"], float)[order]
    mags = mags[order]

    label = _style.statement_label(record.statements[0])
    caption = (f"Same quantile score error D^δ (ε = {p['eps']:g}, δ_step = {p['delta_step']:g}, "
               f"N = {int(p['N'])}, exact 1-D laws), integrated L² score error spanning "
               f"{l2.max() / l2.min():.0e}×: the measured TV stays flat and under {label} "
               + (f"with its pinned ledger constant C = {C:.3g}" if C is not None
                  else "with C = 1 (no ledger constant)")
               + ", while the L²-based "
               "guarantee of Benton et al. (√(KL/2), C = 1) grows past TV = 1 (vacuous, "
               "dotted).")
    with _style.style():
        fig = _style.figure("full", 2.5)
        ax = fig.add_subplot()
        c = _style.PALETTE
        ax.plot(l2, benton, "s--", color=c[1], ms=3.5,
                label=r"Benton et al. (L$^2$), $C=1$")
        ax.plot(l2, b6, "-", color=c[0],
                label=f"{label} (quantile), "
                      + (f"$C={C:.3g}$ (ledger)" if C is not None else "$C=1$ (no ledger)"))
        ax.errorbar(l2, tv, yerr=2 * unc, fmt="o", color=c[2], ms=4,
                    label="measured TV ± 2 unc")
        ax.axhline(1.0, color="0.5", lw=0.6, ls=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"integrated L$^2$ score error $\sum_k h_k\,\mathbb{E}\|\hat s-s\|^2$")
        ax.set_ylabel(r"TV$(\hat p,\, q_{t_{\rm stop}})$")
        _style.legend_outside(fig, ax, loc="outside right center", ncols=1)
    data = dict(bad_magnitude=mags, l2_error_integrated=l2, tv=tv, tv_uncertainty=unc,
                b6_bound=b6, benton_tv_bound=benton)
    prov = _style.provenance(
        NAME, caption=caption, claim=CLAIM, statements=record.statements, source=source,
        parameters=dict(eps=p["eps"], delta_step=p["delta_step"], N=p["N"], T=p["T"],
                        t_stop=p["t_stop"], bad_magnitude=mags),
        seeds=None, ledger_constant=C, state=record.state)
    return _style.save(fig, NAME, data, prov, outdir)
