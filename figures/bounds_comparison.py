"""Bounds side by side as ε, γ and D vary, crossovers marked (``bounds.crossover``).

Samples m (panels a–c): Gupta et al. Theorem 1.2 as stated, the same as its proof gives
(``gupta2024.theorem_1_2_derived``), and Block et al.'s L² route (``block2020.samples``, as
instantiated in Gupta et al. App. E). Iterations N (panel d; a different quantity, its own
axis): Benton et al. (``benton2024.steps``, as quoted in Gupta et al. §1) against the steps
Gupta et al.'s proof uses (``gupta2024.steps_derived``). Every other symbol is at
``bounds.symbols.REFERENCE_POINT`` except the network, which is ``NETWORK`` (a small one:
with the reference network, P = 10⁴, Θ = 10, D = 5, Block et al.'s (PΘ²)^D factor is ~10³⁰ and
no curves cross in these ranges); absolute constants are 1 and Õ-hidden factors are as
written, so levels are indicative and slopes and crossovers are what the figure compares.
"""

from __future__ import annotations

import numpy as np

from diffbounds import bounds
from diffbounds.bounds.symbols import REFERENCE_POINT
from diffbounds.figures import _style

NAME = "bounds_comparison"
COLUMNS = ("panel", "quantity", "statement", "symbol", "x", "value")

SAMPLES = ("gupta2024.theorem_1_2", "gupta2024.theorem_1_2_derived", "block2020.samples")
STEPS = ("benton2024.steps", "gupta2024.steps_derived")
LABELS = {
    "gupta2024.theorem_1_2": "Gupta et al. Thm 1.2 (stated)",
    "gupta2024.theorem_1_2_derived": "Gupta et al. Thm 1.2 (derived from C.2)",
    "block2020.samples": "Block et al. (L$^2$, App. E)",
    "benton2024.steps": "Benton et al. (iterations)",
    "gupta2024.steps_derived": "Gupta et al. (iterations, proof of C.2)",
}
NETWORK = dict(D=2.0, P=100.0, Theta=2.0)
TEX = {"epsilon": r"\varepsilon", "gamma": r"\gamma", "D": "D"}
# (panel, quantity, statements, symbol, range, axis label)
PANELS = (
    ("a", "samples", SAMPLES, "epsilon", (1e-3, 0.5), r"TV accuracy $\varepsilon$"),
    ("b", "samples", SAMPLES, "gamma", (1e-4, 0.9), r"W$_2$ accuracy $\gamma$ (units of $m_2$)"),
    ("c", "samples", SAMPLES, "D", (1.0, 10.0), "network depth $D$"),
    ("d", "steps", STEPS, "epsilon", (1e-3, 0.5), r"TV accuracy $\varepsilon$"),
)


def _fixed(statements, symbol):
    names = set()
    for key in statements:
        names |= {s.name for s in bounds.get(key).parameters}
    names.discard(symbol)
    ref = {**{s.name: v for s, v in REFERENCE_POINT.items()}, **NETWORK}
    return {n: ref[n] for n in sorted(names)}


def _evaluate(key, symbol, x, fixed):
    st = bounds.get(key)
    names = {s.name for s in st.parameters}
    vals = {k: v for k, v in fixed.items() if k in names}
    if symbol in names:
        vals[symbol] = x
    return np.broadcast_to(np.asarray(st.evaluate(**vals), float), np.shape(x))


def make(quick: bool = True, store: _style.StoreArg = None,
         outdir: _style.PathArg = None) -> dict[str, str]:
    """Render the figure and write ``NAME.{pdf,png,csv,json}``; no measurement is involved.

    Parameters
    ----------
    quick : bool
        Fewer points per curve.
    store : str, os.PathLike, None or False
        Unused (the curves are evaluated bounds).
    outdir : str, os.PathLike or None
        Output folder; default ``$DIFFBOUNDS_FIGURES`` or ``./figures/output/``.

    Returns
    -------
    dict
        ``{"pdf": path, "png": path, "csv": path, "json": path}`` (str paths).
    """
    num = 60 if quick else 400
    cols: dict[str, list] = {k: [] for k in COLUMNS}
    crossings: list[dict] = []
    fixed_text: list[str] = []
    with _style.style():
        fig = _style.figure("full", 4.9)
        axes = fig.subplots(2, 2).ravel()
        colour = dict(zip(SAMPLES + STEPS, _style.PALETTE[:3] + _style.PALETTE[3:5],
                          strict=True))
        for ax, (panel, quantity, keys, symbol, (lo, hi), xlabel) in zip(axes, PANELS,
                                                                         strict=True):
            fixed = _fixed(keys, symbol)
            x = np.geomspace(lo, hi, num) if symbol != "D" else np.linspace(lo, hi, num)
            curves = {}
            for key in keys:
                y = _evaluate(key, symbol, x, fixed)
                curves[key] = y
                ax.plot(x, y, color=colour[key], label=LABELS[key])
                for k, v in zip(COLUMNS[:4], (panel, quantity, key, symbol), strict=True):
                    cols[k].extend([v] * num)
                cols["x"].extend(x)
                cols["value"].extend(y)
            for i, a in enumerate(keys):
                for b in keys[i + 1:]:
                    cr = bounds.crossover(a, b, symbol, bracket=(lo, hi), **fixed)
                    crossings.append(dict(panel=panel, **cr.as_dict()))
                    for r in cr.roots:
                        yv = float(_evaluate(a, symbol, np.array(r), fixed))
                        ax.axvline(r, color="0.5", lw=0.6, ls=":")
                        ax.plot([r], [yv], "kx", ms=6, mew=1.2)
                        ax.annotate(f"${TEX[symbol]}={r:.3g}$", (r, yv),
                                    textcoords="offset points", xytext=(5, -10))
            ax.set_xscale("log" if symbol != "D" else "linear")
            ax.set_yscale("log")
            ax.set_xlabel(xlabel)
            ylabel = "training samples $m$" if quantity == "samples" else "iterations $N$"
            ax.set_ylabel(ylabel)
            shown = ", ".join(f"{k}={v:g}" for k, v in fixed.items())
            shown = shown.replace("epsilon", "ε").replace("gamma", "γ").replace("Theta", "Θ")
            shown = shown.replace("delta", "δ")
            fixed_text.append(f"({panel}) {shown}")
            extra = "" if any(c["roots"] for c in crossings if c["panel"] == panel) else \
                ", no crossover"
            ax.set_title(f"({panel}) {quantity} vs ${TEX[symbol]}${extra}", loc="left")
        _style.legend_outside(fig, axes, ncols=2)
    caption = ("Sample bounds (a–c: Gupta et al. 2024 Theorem 1.2 as stated and as derived "
               "from Theorem C.2, Block et al. 2020's L² route) and iteration bounds (d: Benton "
               "et al. 2024 against the steps of Gupta et al.'s proof) as one symbol varies, "
               "absolute constants 1; × marks a crossover. Fixed values: "
               + "; ".join(fixed_text) + ".")
    prov = _style.provenance(
        NAME, caption=caption, statements=list(SAMPLES + STEPS), source="bounds (no measurement)",
        parameters=dict(panels=[dict(panel=p, quantity=q, statements=list(k), symbol=s,
                                     range=list(r), fixed=_fixed(k, s))
                                for p, q, k, s, r, _ in PANELS], points_per_curve=num,
                        constants=1.0, network=NETWORK),
        crossovers=crossings)
    return _style.save(fig, NAME, cols, prov, outdir)
