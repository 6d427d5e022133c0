"""The paper's Figure 1: L² vs D^δ error of the ERM over {s₁, s₂} (Lemma 4.1).

(a) schematic of p₁ = (1−η)N(0,1) + ηN(−R,1) and its mirror p₂ (log density; shown at a
small R so both components fit, η as in the experiment). (b) claim ``figure_1``: probability
that the ERM on m samples of p₁ has error > 0 in L² and in D^δ, with Clopper–Pearson intervals
(Bonferroni, from the record), the prediction ½(1−η)^m and m = 1/η. Quick size: m = 10 … 10⁴
in half decades, 200 seeds each.
"""

from __future__ import annotations

import numpy as np

from diffbounds.figures import _source, _style

NAME = "figure_1"
CLAIM = "figure_1"
COLUMNS = ("m", "l2_failure", "l2_lower", "l2_upper", "quantile_failure", "quantile_lower",
           "quantile_upper", "l2_failure_predicted")
#: R of the schematic panel (a) only: the experiment's R (from the record) is far larger.
SCHEMATIC_R = 6.0


def _quick_points():
    return [dict(m=int(round(10 ** e)), n_seeds=200) for e in np.arange(1.0, 4.01, 0.5)]


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
    from diffbounds.simulators import GaussianMixture

    claim = _source.get_claim(CLAIM)
    if quick and _source.stored_results(CLAIM, store) is None:
        record, source = claim.run(quick=True, points=_quick_points()), "quick run (reduced)"
    else:
        record, source = _source.claim_record(CLAIM, store=store)
    p = record.params
    eta, R, delta = float(p["eta"]), float(p["R"]), float(p["delta"])
    ms = record.measured
    m = np.asarray(ms["m"], float)
    o = np.argsort(m)
    m = m[o]
    l2, qf = (np.asarray(ms[k], float)[o] for k in ("l2_failure", "quantile_failure"))
    u = {k: np.asarray(v, float)[o] for k, v in record.uncertainty.items()}
    pred = np.asarray(record.predicted["l2_failure"], float)[o]

    x = np.linspace(-SCHEMATIC_R - 4, SCHEMATIC_R + 4, 801)[:, None]
    p1 = GaussianMixture([1 - eta, eta], [[0.0], [-SCHEMATIC_R]], [1.0, 1.0])
    p2 = GaussianMixture([1 - eta, eta], [[0.0], [SCHEMATIC_R]], [1.0, 1.0])
    n_seeds = np.asarray(p["n_seeds"], float)
    caption = (f"(a) Schematic of p₁ = (1−η)N(0,1) + ηN(−R,1) and its mirror p₂, shown at "
               f"R = {SCHEMATIC_R:g} (the experiment's R = {R:g}), η = {eta:g}. (b) Probability "
               f"that the ERM over {{s₁, s₂}} on m samples of p₁ errs in L² and in D^δ "
               f"(δ = {delta:g}), {int(n_seeds.min())} seeds per point, Clopper–Pearson "
               f"intervals (Bonferroni), against the prediction ½(1−η)^m of Lemma 4.1; "
               f"dotted: m = 1/η.")
    with _style.style():
        fig = _style.figure("full", 2.6)
        ax1, ax2 = fig.subplots(1, 2, width_ratios=[1, 1.3])
        c = _style.PALETTE
        ax1.plot(x[:, 0], p1.pdf(x), color=c[0], label=r"$p_1$ (far mass at $-R$)")
        ax1.plot(x[:, 0], p2.pdf(x), color=c[1], ls="--", label=r"$p_2$ (far mass at $+R$)")
        ax1.set_yscale("log")
        ax1.set_ylim(1e-7, 1)
        ax1.set_xlabel("$x$")
        ax1.set_ylabel("density")
        ax1.set_title("(a) the pair", loc="left")

        e2 = np.vstack([l2 - u["l2_lower"], u["l2_upper"] - l2])
        eq = np.vstack([qf - u["quantile_lower"], u["quantile_upper"] - qf])
        ax2.plot(m, pred, "-", color="0.3", lw=0.9, label=r"$\frac{1}{2}(1-\eta)^m$ (Lem. 4.1)")
        ax2.errorbar(m, l2, yerr=e2, fmt="o", color=c[0], ms=3.5, capsize=1.5,
                     label=r"P[L$^2$ error $>0$]")
        ax2.errorbar(m, qf, yerr=eq, fmt="s", color=c[2], ms=3.5, capsize=1.5,
                     label=r"P[$D^\delta$ error $>0$]")
        ax2.axvline(1 / eta, color="0.5", ls=":", lw=0.8)
        ax2.set_xscale("log")
        ax2.set_ylim(-0.03, 0.75)
        ax2.set_xlabel("training samples $m$")
        ax2.set_ylabel("P[ERM errs]")
        ax2.set_title("(b) ERM errors", loc="left")
        _style.legend_outside(fig, [ax1, ax2], ncols=3)
    data = dict(m=m, l2_failure=l2, l2_lower=u["l2_lower"], l2_upper=u["l2_upper"],
                quantile_failure=qf, quantile_lower=u["quantile_lower"],
                quantile_upper=u["quantile_upper"], l2_failure_predicted=pred)
    prov = _style.provenance(
        NAME, caption=caption, claim=CLAIM, statements=record.statements, source=source,
        parameters=dict(eta=eta, R=R, delta=delta, sigma=p.get("sigma"), m=m,
                        n_seeds=p["n_seeds"], schematic_R=SCHEMATIC_R,
                        confidence_per_point=p.get("confidence_per_point")),
        seeds=dict(seed=p.get("seed")), holds=record.holds)
    return _style.save(fig, NAME, data, prov, outdir)
