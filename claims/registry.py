"""Every claim that ``diffbounds verify`` knows, by name."""

from __future__ import annotations

import time

from claims import propagation
from claims.verdict import ClaimRecord

CLAIMS = dict(propagation.CLAIMS)


def run_claims(names=None, *, quick=True, progress=print) -> list[ClaimRecord]:
    """Run the named claims (all by default) and return their records."""
    names = list(CLAIMS) if names is None else list(names)
    unknown = [n for n in names if n not in CLAIMS]
    if unknown:
        raise ValueError(f"only: unknown claim(s) {unknown}; known: {sorted(CLAIMS)}")
    out = []
    for name in names:
        t0 = time.perf_counter()
        if progress:
            progress(f"  running claim {name} ...")
        record = CLAIMS[name](quick=quick)
        record.seconds = time.perf_counter() - t0
        out.append(record)
    return out
