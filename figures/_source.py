"""Where a figure's data come from: the result store when it holds the claim, else a run.

``store``: a path, None (the default store shared with ``diffbounds sweep``:
``$DIFFBOUNDS_STORE`` or ``./results/diffbounds.sqlite`` in the working directory, if it exists)
or False (never read a store). ``claims.store`` is imported lazily, so figures work without it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from diffbounds._paths import default_store

#: the full-size sweep (``sweeps/NAME.toml``) behind each claim's figure
FIGURE_SWEEPS = {
    "propagation_tv": "propagation", "frontier_w2": "frontier",
    "discretization": "discretization", "l2_versus_quantile": "l2_versus_quantile",
    "figure_1": "figure_1", "sample_complexity_quantile": "sample_complexity_quantile",
    "end_to_end": "end_to_end", "lemma_4_1": "lemma_4_1", "lemma_4_2": "lemma_4_2",
    "w2_versus_quantile": "w2_versus_quantile",
}


class FigureDataUnavailable(RuntimeError):
    """A figure's claim is not registered (yet) and no store holds its results."""


def store_path(store: str | os.PathLike | Literal[False] | None) -> Path | None:
    """The store to read: ``store`` itself, the default store if it exists, or None."""
    if store is False:
        return None
    path = default_store() if store is None else Path(store)
    if not path.exists():
        if store is not None:
            raise ValueError(f"store: no result store at {path}")
        return None
    return path


def stored_results(claim: str, store: str | os.PathLike | Literal[False] | None
                   ) -> tuple[list, list, str] | None:
    """(points, rows, 'store:PATH') from the store, or None when it does not hold ``claim``."""
    path = store_path(store)
    if path is None:
        return None
    try:
        from diffbounds.claims.store import ResultStore
    except ImportError:
        return None
    with ResultStore(path, readonly=True) as rs:
        # One sweep's grid, never a mix of sweeps (e.g. quick.toml's coarse points with the
        # full sweep's): the claim's own full sweep when stored, else the sweep with the most
        # finished points of the claim.
        finished = {}
        for sw in rs.sweeps():
            points, rows = rs.results(claim, sweep=sw["name"])
            if points:
                finished[sw["name"]] = (points, rows)
        if not finished:
            return None
        sweep = FIGURE_SWEEPS.get(claim)
        if sweep not in finished:
            sweep = max(finished, key=lambda k: len(finished[k][0]))
        points, rows = finished[sweep]
    return list(points), list(rows), f"store:{path} (sweep {sweep})"


def get_claim(name: str) -> Any:
    """The registered claim, or FigureDataUnavailable saying which module should provide it."""
    from diffbounds.claims.registry import CLAIMS

    if name not in CLAIMS:
        raise FigureDataUnavailable(
            f"claim {name!r} is not registered (known: {sorted(CLAIMS)}); this figure needs it "
            f"(claims/<claim>.py) or a store holding its results")
    return CLAIMS[name]


def claim_record(name: str, *, store: str | os.PathLike | Literal[False] | None,
                 quick_points: list[dict] | None = None) -> tuple[Any, str]:
    """(ClaimRecord, source): from the store if it holds ``name``, else the claim's quick run
    (or its run on ``quick_points``)."""
    claim = get_claim(name)
    got = stored_results(name, store)
    if got is not None:
        points, rows, source = got
        return claim.verdict(points, rows), source
    record = claim.run(quick=True, points=quick_points)
    return record, "quick run" if quick_points is None else "quick run (reduced grid)"
