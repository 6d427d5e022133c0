"""What a claim is: a measurement per grid point, a grid, and a verdict over all points.

Splitting a claim this way lets ``diffbounds verify`` run it in one process, and a sweep
(``claims.sweep``) run its points as independent tasks on any executor and store each finished
point, then reach the same verdict from the stored results.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from diffbounds.claims.verdict import ClaimRecord


@dataclass(frozen=True)
class Claim:
    """A claim: ``measure(**point) -> dict`` of numbers, grids, and ``verdict(points, results)``.

    ``parameters`` are the point's keys with their defaults; a point may omit any of them.
    """

    name: str
    statements: tuple[str, ...]
    parameters: dict
    measure_fn: Callable[..., dict]
    grid_fn: Callable[[bool], list[dict]]
    verdict_fn: Callable[[list[dict], list[dict]], ClaimRecord]
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def complete(self, point: dict) -> dict:
        """The point with defaults filled in; unknown keys raise ValueError naming them."""
        unknown = sorted(set(point) - set(self.parameters))
        if unknown:
            raise ValueError(f"params: unknown parameter(s) {unknown} for claim {self.name!r}; "
                             f"known: {sorted(self.parameters)}")
        return {**self.parameters, **point}

    def grid(self, quick: bool = True) -> list[dict]:
        return [self.complete(p) for p in self.grid_fn(quick)]

    def measure(self, **point) -> dict:
        return self.measure_fn(**self.complete(point))

    def verdict(self, points, results) -> ClaimRecord:
        return self.verdict_fn(list(points), list(results))

    def run(self, quick: bool = True, points=None, progress=None) -> ClaimRecord:
        """Measure every point (in order) and reach the verdict."""
        t0 = time.perf_counter()
        points = self.grid(quick) if points is None else [self.complete(p) for p in points]
        results = []
        for i, p in enumerate(points):
            results.append(self.measure(**p))
            if progress:
                progress(i + 1, len(points))
        record = self.verdict(points, results)
        record.seconds = time.perf_counter() - t0
        return record
