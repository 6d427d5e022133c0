"""Figures: one module per figure, each ``make(quick=True, store=None, outdir=None)`` writing
``NAME.{pdf,png,csv,json}`` to ``figures/output/`` and returning the written paths.

Data come from the result store (``results/diffbounds.sqlite``) when it holds the figure's
claim, else from a run: ``quick=True`` is the small test size, ``quick=False`` the claim's quick
grid. ``store=False`` never reads a store. Run them all with ``diffbounds figures``.
"""

from __future__ import annotations

from diffbounds.figures import (
    _style,
    bounds_comparison,
    closeness_frontier,
    figure_1,
    quantile_to_w2,
    quantile_vs_l2,
    sample_complexity,
    sampler_orders,
    throughput,
    tv_rates,
)
from diffbounds.figures._source import FigureDataUnavailable
from diffbounds.figures._style import DEFAULT_OUTDIR, OKABE_ITO, PALETTE, save, style

FIGURES = {m.NAME: m for m in (figure_1, quantile_vs_l2, tv_rates, closeness_frontier,
                               sample_complexity, bounds_comparison, throughput,
                               sampler_orders, quantile_to_w2)}


def make(name: str, quick: bool = True, store: _style.StoreArg = None,
         outdir: _style.PathArg = None) -> dict[str, str]:
    """Render one figure by name and write ``NAME.{pdf,png,csv,json}``.

    Parameters
    ----------
    name : str
        A key of :data:`FIGURES` (``diffbounds figures --list``).
    quick : bool
        Test size when the store does not hold the figure's claim (else the claim's quick grid).
    store : str, os.PathLike, None or False
        The result store to read: a path, None for the default store shared with
        ``diffbounds sweep`` (``$DIFFBOUNDS_STORE`` or ``./results/diffbounds.sqlite``) if it
        exists, or False to never read one.
    outdir : str, os.PathLike or None
        Output folder; default ``$DIFFBOUNDS_FIGURES`` or ``./figures/output/``.

    Returns
    -------
    dict
        ``{"pdf": path, "png": path, "csv": path, "json": path}`` (str paths).

    Raises
    ------
    ValueError
        For an unknown ``name`` or an explicit ``store`` that does not exist.
    FigureDataUnavailable
        When the figure's claim is not registered and no store holds its results.

    Examples
    --------
    >>> import tempfile
    >>> from diffbounds import figures
    >>> paths = figures.make("bounds_comparison", store=False, outdir=tempfile.mkdtemp())
    >>> sorted(paths)
    ['csv', 'json', 'pdf', 'png']
    """
    if name not in FIGURES:
        raise ValueError(f"name: unknown figure {name!r}; known: {sorted(FIGURES)}")
    return FIGURES[name].make(quick=quick, store=store, outdir=outdir)


__all__ = ["FIGURES", "make", "FigureDataUnavailable", "DEFAULT_OUTDIR", "OKABE_ITO",
           "PALETTE", "save", "style"]
