"""Every claim that ``diffbounds verify`` and ``diffbounds sweep`` know, by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from diffbounds.claims import (
    discretization,
    discretization_dimension,
    early_stopping_dimension,
    end_to_end,
    figure_1,
    frontier_w2,
    l2_versus_quantile,
    lemma_4_1,
    lemma_4_2,
    propagation_dimension,
    propagation_tv,
    sample_complexity_quantile,
    steps_for_accuracy,
    w2_versus_quantile,
)
from diffbounds.claims._claim import Claim
from diffbounds.claims.verdict import ClaimRecord

_MODULES = (propagation_tv, l2_versus_quantile, frontier_w2, discretization, figure_1, lemma_4_1,
            lemma_4_2, sample_complexity_quantile, end_to_end, discretization_dimension,
            early_stopping_dimension, propagation_dimension, steps_for_accuracy,
            w2_versus_quantile)
CLAIMS: dict[str, Claim] = {m.CLAIM.name: m.CLAIM for m in _MODULES}


def get_claim(name: str) -> Claim:
    """The registered claim ``name``.

    Parameters
    ----------
    name : str
        A key of ``CLAIMS``.

    Returns
    -------
    Claim

    Raises
    ------
    ValueError
        An unknown claim (the message lists the known ones).

    Examples
    --------
    >>> get_claim("figure_1").name
    'figure_1'
    """
    if name not in CLAIMS:
        raise ValueError(f"claim: unknown claim {name!r}; known: {sorted(CLAIMS)}")
    return CLAIMS[name]


def run_claims(names: Iterable[str] | None = None, *, quick: bool = True,
               progress: Callable[[str], Any] | None = print,
               controls: bool = True) -> list[ClaimRecord]:
    """Run the named claims (all by default) with their negative controls (unless
    ``controls=False``) and return their records.

    Parameters
    ----------
    names : iterable of str or None
        Keys of ``CLAIMS``; None for all.
    quick : bool
        The claims' quick grids (else their full grids).
    progress : callable or None
        Called with one line before each claim.
    controls : bool
        Run the negative controls.

    Returns
    -------
    list of ClaimRecord
        In the order run.

    Raises
    ------
    ValueError
        An unknown claim name.
    """
    names = list(CLAIMS) if names is None else list(names)
    unknown = [n for n in names if n not in CLAIMS]
    if unknown:
        raise ValueError(f"only: unknown claim(s) {unknown}; known: {sorted(CLAIMS)}")
    out = []
    for name in names:
        if progress:
            progress(f"  running claim {name} ...")
        out.append(CLAIMS[name].run(quick=quick, controls=controls))
    return out
