"""What a claim is: a measurement per grid point, a grid, a verdict over all points, and the
negative controls that the verdict must reject.

Splitting a claim this way lets ``diffbounds verify`` run it in one process, and a sweep
(``claims.sweep``) run its points as independent tasks on any executor and store each finished
point, then reach the same verdict from the stored results.

How a claim is written (``claims.verdict`` has the rules):

* ``measure(**point) -> dict`` of numbers (a measurement and its ``uncertainty``);
* ``grid(quick) -> [point, ...]``; the quick grid must still be powered (≥ 5 distinct values
  per slope);
* ``verdict(points, rows) -> ClaimRecord(..., checks=[...])`` where the checks are
  ``verdict.ledger_check`` (measurement's upper end against the ledger's pinned constant of the
  statement), ``verdict.slope_check`` (powered, one-sided vs the bound's exponent, two-sided vs
  an observable rate) and ``verdict.shape_check``; the record's state (holds / fails /
  inconclusive) follows from them;
* ``controls``: at least one :class:`Control` — the same measurement on a configuration that
  breaks the statement's hypothesis or with a deliberately wrong sampler/bookkeeping. ``run``
  judges each control with the claim's verdict (or the control's own) and requires it to
  *fail*; a claim whose control is not rejected fails with reason "no power".
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from diffbounds.claims.verdict import (
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    ClaimRecord,
    ControlRecord,
    control_margin,
)


@dataclass(frozen=True)
class Control:
    """A negative control of a claim.

    ``points_fn(quick) -> [point, ...]``: the control's points (the claim's parameters; they
    are completed with the claim's defaults). ``measure_fn(**point) -> dict``: default the
    claim's measurement; give one to inject a wrong sampler. ``verdict_fn(points, rows) ->
    ClaimRecord``: default the claim's verdict; give one to inject wrong bookkeeping. The
    control is *rejected* (as it must be) when that verdict fails.
    """

    name: str
    description: str
    points_fn: Callable[[bool], list[dict]]
    measure_fn: Callable[..., dict] | None = None
    verdict_fn: Callable[[list[dict], list[dict]], ClaimRecord] | None = None

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
        value_f = float(value)
        if self.low is not None and (value_f < self.low
                                     or (self.low_open and value_f == self.low)):
            raise bad()
        if self.high is not None and (value_f > self.high
                                      or (self.high_open and value_f == self.high)):
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
    """A claim: ``measure(**point) -> dict`` of numbers, grids, ``verdict(points, results)``
    and its negative ``controls`` (module docstring).

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
    controls: tuple[Control, ...] = field(default_factory=tuple)
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
        record = self.verdict_fn(list(points), list(results))
        record.ledger = {**record.ledger, **_ledger_constants(record)}
        return record

    def run_control(self, control: Control, quick: bool = True) -> ControlRecord:
        """Measure the control's points and judge them; rejected when the verdict fails."""
        t0 = time.perf_counter()
        points = [self.complete(p) for p in control.points_fn(quick)]
        measure = control.measure_fn or self.measure_fn
        rows = [measure(**p) for p in points]
        record = (control.verdict_fn or self.verdict_fn)(points, rows)
        margin, kind, check = control_margin(record)
        return ControlRecord(self.name, control.name, control.description, str(record.state),
                             record.reason, margin, kind, check,
                             seconds=time.perf_counter() - t0)

    def run(self, quick: bool = True, points=None, progress=None,
            controls: bool | None = None) -> ClaimRecord:
        """Measure every point (in order) and reach the verdict; then, if ``controls`` (default:
        only when ``points`` is None, i.e. a run of the claim's own grid), run the negative
        controls: a control that is not rejected makes the claim fail ("no power"), and a
        claim without any control is at best inconclusive. Without controls the record is the
        verdict on the points alone (``record.controls`` empty)."""
        t0 = time.perf_counter()
        run_controls = (points is None) if controls is None else bool(controls)
        points = self.grid(quick) if points is None else [self.complete(p) for p in points]
        results = []
        for i, p in enumerate(points):
            results.append(self.measure(**p))
            if progress:
                progress(i + 1, len(points))
        record = self.verdict(points, results)
        if run_controls:
            record.controls = [self.run_control(c, quick) for c in self.controls]
            weak = [c for c in record.controls if not c.rejected]
            if weak:
                record.set_state(FAILS, "no power: control(s) not rejected: " + "; ".join(
                    f"{c.name} ({c.state})" for c in weak)
                    + (f"; claim: {record.reason}" if record.reason else ""))
            elif not self.controls and record.state == HOLDS:
                record.set_state(INCONCLUSIVE,
                                 "no negative control: the claim's power is unknown")
        record.seconds = time.perf_counter() - t0
        return record


def _ledger_constants(record: ClaimRecord) -> dict:
    out = {}
    for c in record.checks:
        if c.kind == "ledger":
            key = c.details.get("candidate", {}).get("key")
            if key:
                out[key] = c.limit
    return out
