"""Where a figure's data come from: the result store when it holds the claim, else a run.

``store``: a path, None (the default store ``results/diffbounds.sqlite`` if it exists) or False
(never read a store). ``claims.store`` is imported lazily, so figures work without it.
"""

from __future__ import annotations

from pathlib import Path

from figures._style import REPO

DEFAULT_STORE = REPO / "results" / "diffbounds.sqlite"


class FigureDataUnavailable(RuntimeError):
    """A figure's claim is not registered (yet) and no store holds its results."""


def store_path(store) -> Path | None:
    if store is False:
        return None
    path = Path(DEFAULT_STORE if store is None else store)
    if not path.exists():
        if store is not None:
            raise ValueError(f"store: no result store at {path}")
        return None
    return path


def stored_results(claim: str, store):
    """(points, rows, 'store:PATH') from the store, or None when it does not hold ``claim``."""
    path = store_path(store)
    if path is None:
        return None
    try:
        from claims.store import ResultStore
    except ImportError:
        return None
    with ResultStore(path, create=False) as rs:
        points, rows = rs.results(claim)
    if not points:
        return None
    return list(points), list(rows), f"store:{path}"


def get_claim(name: str):
    """The registered claim, or FigureDataUnavailable saying which module should provide it."""
    from claims.registry import CLAIMS

    if name not in CLAIMS:
        raise FigureDataUnavailable(
            f"claim {name!r} is not registered (known: {sorted(CLAIMS)}); this figure needs it "
            f"(claims/training_claims.py) or a store holding its results")
    return CLAIMS[name]


def claim_record(name: str, *, store, quick_points=None):
    """(ClaimRecord, source): from the store if it holds ``name``, else the claim's quick run
    (or its run on ``quick_points``)."""
    claim = get_claim(name)
    got = stored_results(name, store)
    if got is not None:
        points, rows, source = got
        return claim.verdict(points, rows), source
    record = claim.run(quick=True, points=quick_points)
    return record, "quick run" if quick_points is None else "quick run (reduced grid)"
