"""The closeness frontier γ*(ε) of sampler output vs q₀ in d = 2, 8, 32, with its null level.

For each d: the data law of claim ``frontier_w2`` (``claims.frontier_w2.mixture_in``), one γ
(the middle of that claim's γ grid), t_stop = ``gupta2024.early_stop``(γ, m₂, d), the exact
score and the claim's N steps; γ*(ε) = min{W2(q′, q̂₀) : TV(q′, p̂) ≤ ε}
(``simulators.metrics.closeness_frontier``) over an ε grid, beside the same frontier between
two samples of q₀ (the null level) and the target level γ·m₂ of Theorem 1.2 / C.2. When the
store holds ``frontier_w2``, its points at the same (d, γ) are overlaid. Quick size: n = 400.
"""

from __future__ import annotations

import numpy as np

from diffbounds import bounds
from diffbounds.figures import _source, _style

NAME = "closeness_frontier"
CLAIM = "frontier_w2"
COLUMNS = ("d", "gamma", "t_stop", "eps", "w2_frontier", "w2_null", "gamma_m2")
DIMS = (2, 8, 32)


def _setting(quick):
    grid = _source.get_claim(CLAIM).grid(quick=True)
    gammas = sorted({p["gamma"] for p in grid})
    p0 = grid[0]
    n = 400 if quick else 4 * int(p0["n"])
    eps = np.linspace(0.0, 0.6, 7 if quick else 13)
    return dict(gamma=gammas[len(gammas) // 2], n=n, N=int(p0["N"]), seed=int(p0["seed"]),
                eps=eps)


def _stored_points(store):
    got = _source.stored_results(CLAIM, store)
    if got is None:
        return [], None
    points, rows, source = got
    # each stored point holds its whole trade-off curve over the claim's ε grid
    return [dict(d=p["d"], gamma=p["gamma"], eps=np.atleast_1d(r.get("eps_grid", r.get("eps"))),
                 w2=np.atleast_1d(r["w2"]), null=np.atleast_1d(r["null"]))
            for p, r in zip(points, rows, strict=True)], source


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
    from diffbounds.claims._propagation_common import T_HORIZON
    from diffbounds.claims.frontier_w2 import mixture_in
    from diffbounds.simulators import metrics, sample, schedule

    s = _setting(quick)
    early = bounds.get("gupta2024.early_stop")
    stored, store_source = _stored_points(store)
    cols: dict[str, list] = {k: [] for k in COLUMNS}
    per_d = []
    for d in DIMS:
        mix = mixture_in(d)
        m2 = float(np.sqrt(mix.second_moment()))
        t_stop = float(early.evaluate(gamma=s["gamma"], m_2=m2, d=d))
        x = sample(mix, s["n"], schedule.exponential(T_HORIZON, t_stop, s["N"]),
                   seed=s["seed"])
        ref = mix.sample(s["n"], seed=s["seed"] + 1)
        fr = metrics.closeness_frontier(x, ref, s["eps"],
                                        y_null=mix.sample(s["n"], seed=s["seed"] + 2))
        per_d.append(dict(d=d, m2=m2, t_stop=t_stop, w2=fr.w2, null=fr.null))
        for e, w, nl in zip(fr.eps, fr.w2, fr.null, strict=True):
            for k, v in zip(COLUMNS, (d, s["gamma"], t_stop, e, w, nl, s["gamma"] * m2),
                            strict=True):
                cols[k].append(v)

    caption = (f"Closeness frontier γ*(ε), the output notion of Theorem 1.2 with early "
               f"stopping (Theorem C.2): the smallest W₂ to q₀ reachable within TV budget ε, "
               f"for the sampler output (n = {s['n']}, N = {s['N']}) and for a second q₀ "
               f"sample (null), against the target γ m₂ (γ = {s['gamma']:g}); panels "
               + ", ".join(f"d = {r['d']} (t_stop = {r['t_stop']:.3g})" for r in per_d) + ".")
    with _style.style():
        fig = _style.figure("full", 2.5)
        axes = fig.subplots(1, len(DIMS))
        c = _style.PALETTE
        for ax, r in zip(axes, per_d, strict=True):
            ax.plot(s["eps"], r["w2"], "o-", color=c[0], ms=3.5,
                    label=r"sampler output $\hat p$ vs $q_0$")
            ax.plot(s["eps"], r["null"], "s:", color=c[3], ms=3,
                    label=r"null: $q_0$ vs $q_0$ sample")
            ax.axhline(s["gamma"] * r["m2"], color=c[1], ls="--", lw=1,
                       label=r"target $\gamma m_2$ (Thm 1.2)")
            mine = [p for p in stored if p["d"] == r["d"] and np.isclose(p["gamma"], s["gamma"])]
            for i, p in enumerate(mine):
                ax.plot(p["eps"], p["w2"], "*", color=c[2], ms=7,
                        label="claim frontier_w2 (store)" if i == 0 else None)
            ax.set_title(f"$d={r['d']}$", loc="left")
            ax.set_xlabel(r"TV budget $\varepsilon$")
            ax.set_ylim(bottom=0)
        axes[0].set_ylabel(r"min W$_2$ to $q_0$")
        _style.legend_outside(fig, axes, ncols=2)
    source = store_source + " (overlay) + direct run" if store_source else \
        ("quick run" if quick else "direct run")
    prov = _style.provenance(
        NAME, caption=caption, claim=CLAIM,
        statements=["gupta2024.early_stop", "gupta2024.theorem_1_2",
                                       "gupta2024.theorem_c2"], source=source,
        parameters=dict(dims=DIMS, gamma=s["gamma"], n=s["n"], N=s["N"], T=T_HORIZON,
                        eps=s["eps"], mixture="diffbounds.claims.frontier_w2.mixture_in(d, seed=0)",
                        m_2={r["d"]: r["m2"] for r in per_d}),
        seeds=dict(sampler=s["seed"], reference=s["seed"] + 1, null=s["seed"] + 2))
    return _style.save(fig, NAME, cols, prov, outdir)
