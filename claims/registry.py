"""Every claim that ``diffbounds verify`` and ``diffbounds sweep`` know, by name."""

from __future__ import annotations

from claims import propagation, training_claims
from claims._claim import Claim
from claims.verdict import ClaimRecord

CLAIMS: dict[str, Claim] = dict(propagation.CLAIMS)
CLAIMS.update(training_claims.CLAIMS)


def get_claim(name: str) -> Claim:
    if name not in CLAIMS:
        raise ValueError(f"claim: unknown claim {name!r}; known: {sorted(CLAIMS)}")
    return CLAIMS[name]


def run_claims(names=None, *, quick=True, progress=print) -> list[ClaimRecord]:
    """Run the named claims (all by default) and return their records."""
    names = list(CLAIMS) if names is None else list(names)
    unknown = [n for n in names if n not in CLAIMS]
    if unknown:
        raise ValueError(f"only: unknown claim(s) {unknown}; known: {sorted(CLAIMS)}")
    out = []
    for name in names:
        if progress:
            progress(f"  running claim {name} ...")
        out.append(CLAIMS[name].run(quick=quick))
    return out
