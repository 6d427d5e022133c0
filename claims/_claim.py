"""What a claim is: a measurement per grid point, a grid, and a verdict over all points.

Splitting a claim this way lets ``diffbounds verify`` run it in one process, and a sweep
(``claims.sweep``) run its points as independent tasks on any executor and store each finished
point, then reach the same verdict from the stored results.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from diffbounds.claims.verdict import ClaimRecord

# Seeds of claim points: the package's seed rule (integers, None refused) on a narrower range,
# because claims derive sub-seeds from them (e.g. seed * 100_003 + j) that must stay < 2**64.
CLAIM_SEED_MAX = 2**32 - 1


@dataclass(frozen=True)
class ParamSpec:
    """The type and range of one claim parameter, checked when a sweep file is read.

    ``kind``: "int" (an integer, not a bool), "real" (a finite real number, not a bool) or
    "choice" (one of ``choices``). ``low``/``high``: inclusive bounds, or exclusive with
    ``low_open``/``high_open``; None = unbounded.
    """

    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple = ()

    def describe(self) -> str:
        if self.kind == "choice":
            return f"one of {list(self.choices)}"
        what = "an integer" if self.kind == "int" else "a finite real number"
        if self.low is not None and self.high is not None:
            rng = (f"in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}"
                   f"{')' if self.high_open else ']'}")
        elif self.low is not None:
            rng = f"{'>' if self.low_open else '>='} {self.low:g}"
        elif self.high is not None:
            rng = f"{'<' if self.high_open else '<='} {self.high:g}"
        else:
            return what
        return f"{what} {rng}"

    def check(self, name: str, value):
        """``value`` if it satisfies the spec, else ValueError naming ``name``."""
        def bad():
            return ValueError(f"{name}: must be {self.describe()}, got {value!r}")

        if self.kind == "choice":
            if isinstance(value, bool) or value not in self.choices:
                raise bad()
            return value
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise bad()
        if self.kind == "int" and not isinstance(value, numbers.Integral):
            raise bad()
        if not math.isfinite(float(value)):
            raise bad()
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            raise bad()
        if self.high is not None and (value > self.high
                                      or (self.high_open and value == self.high)):
            raise bad()
        return value


def integer(low=None, high=None) -> ParamSpec:
    return ParamSpec("int", low, high)


def real(low=None, high=None, *, low_open=False, high_open=False) -> ParamSpec:
    return ParamSpec("real", low, high, low_open, high_open)


def positive() -> ParamSpec:
    """A finite real number > 0."""
    return ParamSpec("real", 0.0, None, low_open=True)


def probability() -> ParamSpec:
    """A real number in (0, 1)."""
    return ParamSpec("real", 0.0, 1.0, low_open=True, high_open=True)


def choice(*values) -> ParamSpec:
    return ParamSpec("choice", choices=tuple(values))


def claim_seed() -> ParamSpec:
    """A claim point's seed: an integer in [0, CLAIM_SEED_MAX]."""
    return ParamSpec("int", 0, CLAIM_SEED_MAX)


@dataclass(frozen=True)
class Claim:
    """A claim: ``measure(**point) -> dict`` of numbers, grids, and ``verdict(points, results)``.

    ``parameters`` are the point's keys with their defaults; a point may omit any of them.
    ``parameter_specs`` maps parameter names to their ``ParamSpec`` (type and range), checked
    by ``validate`` (sweep files are validated when read); a parameter without a spec is not
    checked.
    """

    name: str
    statements: tuple[str, ...]
    parameters: dict
    measure_fn: Callable[..., dict]
    grid_fn: Callable[[bool], list[dict]]
    verdict_fn: Callable[[list[dict], list[dict]], ClaimRecord]
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    parameter_specs: Mapping[str, ParamSpec] = field(default_factory=dict)

    def __post_init__(self):
        unknown = sorted(set(self.parameter_specs) - set(self.parameters))
        if unknown:
            raise ValueError(f"parameter_specs: {unknown} are not parameters of claim "
                             f"{self.name!r}")
        for k, spec in self.parameter_specs.items():
            spec.check(f"parameter_specs: default of {k}", self.parameters[k])

    def validate(self, point: dict) -> dict:
        """The completed point, after checking every value against ``parameter_specs``;
        ValueError ``"NAME: must be ..., got ..."`` on the first bad one (``measure`` and sweep
        files call it before any work)."""
        full = self.complete(point)
        for k, v in full.items():
            spec = self.parameter_specs.get(k)
            if spec is not None:
                spec.check(k, v)
        return full

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
        """Measure one point (defaults filled in, values checked by ``validate`` first)."""
        return self.measure_fn(**self.validate(point))

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
