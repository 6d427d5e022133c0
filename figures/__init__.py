"""Figures: one module per figure, each ``make(quick=True, store=None, outdir=None)`` writing
``NAME.{pdf,png,csv,json}`` to ``figures/output/`` and returning the written paths.

Data come from the result store (``results/diffbounds.sqlite``) when it holds the figure's
claim, else from a run: ``quick=True`` is the small test size, ``quick=False`` the claim's quick
grid. ``store=False`` never reads a store. Run them all with ``diffbounds figures``.
"""

from __future__ import annotations

from diffbounds.figures import (
    bounds_comparison,
    closeness_frontier,
    figure_1,
    quantile_to_w2,
    quantile_vs_l2,
    sample_complexity,
    throughput,
    tv_rates,
)
from diffbounds.figures._source import FigureDataUnavailable
from diffbounds.figures._style import DEFAULT_OUTDIR, OKABE_ITO, PALETTE, save, style

FIGURES = {m.NAME: m for m in (figure_1, quantile_vs_l2, tv_rates, closeness_frontier,
                               sample_complexity, bounds_comparison, throughput,
                               quantile_to_w2)}


def make(name: str, quick: bool = True, store=None, outdir=None) -> dict:
    """Render one figure by name; returns its written paths."""
    if name not in FIGURES:
        raise ValueError(f"name: unknown figure {name!r}; known: {sorted(FIGURES)}")
    return FIGURES[name].make(quick=quick, store=store, outdir=outdir)


__all__ = ["FIGURES", "make", "FigureDataUnavailable", "DEFAULT_OUTDIR", "OKABE_ITO",
           "PALETTE", "save", "style"]
