"""How a claim's verdict is reached (design.md, "What verified means here").

Three states
------------
Every check, every claim and every control ends in one of ``HOLDS``, ``FAILS`` or
``INCONCLUSIVE`` (not enough power to say). A claim's state combines its checks
(``combine_states``): it fails if any check fails, else it is inconclusive if any check is,
else it holds. ``diffbounds verify`` exits ``EXIT_CODES[state]``: 0 all hold, 1 something
fails, 3 something is inconclusive and nothing fails (2 is the CLI's usage-error code).

How a claim uses this module
----------------------------
A claim's ``verdict_fn(points, rows)`` builds a list of :class:`Check` records and returns
``ClaimRecord(..., checks=checks)``; the record's ``state`` and ``reason`` then follow from
the checks (a record built with ``holds=`` only, as before, maps True/False to holds/fails).

* **Constants** (``ledger_check``): the measurement's upper end (``measured + K_SIGMA·unc``,
  ``unc`` the measurement's method/sampling error) must be at most the pinned ledger constant
  of the statement (``claims.ledger``) times the bound (C = 1) at every point:
  ``(measured + K_SIGMA·unc)/bound ≤ C_ledger``. Uncertainty never makes this easier. The
  ledger's constants are built from the same upper-end ratios, so the tolerance of the
  comparison is exactly the measurement's own ``K_SIGMA·unc`` (its derived method error) plus
  ``ROUNDOFF``. The check fails when even the lower end needs a larger constant
  (``(measured − K_SIGMA·unc)/bound > C_ledger``), naming statement, needed and pinned constant
  and point; it is inconclusive when only the method error straddles the constant (the
  method error is comparable to the effect). Lower bounds (``kind="lower"``) mirror this:
  ``(measured − K_SIGMA·unc)/bound ≥ C_ledger``. Every ratio is returned as a ledger candidate
  (``Check.details["candidates"]``) that ``diffbounds ledger update --from-store`` may adopt;
  verify itself never changes the ledger.
* **Rates** (``slope_check``): the OLS log-log slope and its 95% half-width h. A slope check
  needs ``MIN_SLOPE_VALUES`` (5) distinct parameter values and h ≤ ``half_width_limit(exponent,
  alternative)``: the rate the check must tell apart (``alternative``) is named by the claim.
  Limit derivation: with estimate ŝ ~ N(s, (h/z₀.₉₇₅)²), the one-sided check "ŝ ≤ a + h"
  rejects a true slope b > a with probability ≥ 95% when b − a ≥ h + z₀.₉₅·h/z₀.₉₇₅, i.e.
  h ≤ |b − a|/(1 + z₀.₉₅/z₀.₉₇₅) ≈ 0.544·|b − a| (0.272 for a gap of ½, e.g. −½ vs −1
  or −½ vs 0; the default alternative is the exponent ± ½ on the failing side). Otherwise the
  check is inconclusive, never "holds". A bound's exponent is
  one-sided (for a parameter → ∞ the slope must be ≤ exponent + h; → 0: ≥ exponent − h): an
  upper bound may be loose, so a measured decay *faster* than the bound's is consistent with
  it (``FASTER_THAN_BOUND_NOTE``). Where the observable rate is known, ``observable=`` adds the
  two-sided test |slope − observable| ≤ h + ``observable_tolerance``.
* **Shape** checks (``shape_check``) and any other boolean property of the measurement
  (flatness, vacuity of a competing bound, ...) are ``Check`` records built by the claim.
* **Controls** (``claims._claim.Control``): the same measurement on a configuration that breaks
  the statement's hypothesis, or with a deliberately wrong sampler or bookkeeping, judged by the
  same checks; the control must *fail* (be rejected). ``Claim.run`` runs the controls next to
  the claim; a claim whose control is not rejected fails with reason "no power". A control's
  margin is how far past the limit it lands (``Check.margin``: needed/pinned constant for a
  ledger check, slope − limit in exponent units for a rate, ≥ 1 resp. > 0 means rejected).

Legacy helpers (``fit_constant``, ``fit_term_constants``, ``held_out_check``,
``grid_boundary``) remain for shape checks; constants no longer float per run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

if TYPE_CHECKING:
    from diffbounds.claims.ledger import Ledger

HOLDS, FAILS, INCONCLUSIVE = "holds", "fails", "inconclusive"
STATES = (HOLDS, FAILS, INCONCLUSIVE)
# verify's exit status per overall state (2 stays the CLI's usage-error code).
EXIT_CODES = {HOLDS: 0, FAILS: 1, INCONCLUSIVE: 3}
# Measurements enter every check through measured ± K_SIGMA · uncertainty (≈ 95% two-sided).
K_SIGMA = 2.0
# A ratio equal to the pinned constant up to round-off (the same number along another path)
# is not an excess: ratios ≤ C·(1 + ROUNDOFF) hold.
ROUNDOFF = 1e-12
# Slope checks: at least this many distinct parameter values.
MIN_SLOPE_VALUES = 5
# Power factor of the half-width limit (module docstring): 1 + z_0.95 / z_0.975.
_POWER_FACTOR = 1.0 + stats.norm.ppf(0.95) / stats.norm.ppf(0.975)
FASTER_THAN_BOUND_NOTE = ("a measured decay faster than the bound's exponent is consistent with "
                          "it: the bound is an upper bound and may be loose (slopes are checked "
                          "one-sided against the bound's exponent)")


def combine_states(states: Iterable[str]) -> str:
    """fails if any state fails, else inconclusive if any is, else holds (empty: holds).

    Parameters
    ----------
    states : iterable of str
        Each one of ``STATES``.

    Returns
    -------
    str
        The combined state.

    Raises
    ------
    ValueError
        An unknown state.

    Examples
    --------
    >>> combine_states(["holds", "inconclusive"]), combine_states(["inconclusive", "fails"])
    ('inconclusive', 'fails')
    """
    states = list(states)
    bad = [s for s in states if s not in STATES]
    if bad:
        raise ValueError(f"states: unknown state(s) {bad}; known: {STATES}")
    if FAILS in states:
        return FAILS
    if INCONCLUSIVE in states:
        return INCONCLUSIVE
    return HOLDS


def half_width_limit(exponent: float, alternative: float) -> float:
    """Largest 95% half-width with which a slope check tells ``exponent`` from ``alternative``
    with power 95%: |alternative − exponent| / (1 + z₀.₉₅/z₀.₉₇₅) (module docstring).

    Parameters
    ----------
    exponent : float
        The bound's exponent.
    alternative : float
        The rate to tell it from (≠ ``exponent``).

    Returns
    -------
    float
        The half-width limit, in exponent units.

    Raises
    ------
    ValueError
        ``alternative`` equals ``exponent``.

    Examples
    --------
    >>> round(float(half_width_limit(-0.5, -1.0)), 3)
    0.272
    """
    gap = abs(float(alternative) - float(exponent))
    if not gap > 0:
        raise ValueError("alternative: must differ from the exponent")
    return gap / _POWER_FACTOR


@dataclass
class Check:
    """One check of a claim (or control): its ``state`` and a one-line ``reason``.

    ``kind``: "ledger", "rate", "shape", "control", ... ``value`` and ``limit`` are the
    quantity compared and its limit; ``margin`` how far past (> 1 for ratio margins, > 0 for
    additive ones, ``margin_kind`` "ratio" or "difference") — positive/above 1 means the check
    is violated by that much; ``details`` anything a reader needs (worst point, candidates).

    Parameters
    ----------
    name : str
        What is checked (e.g. "constant gupta2024.theorem_1_2").
    kind : str
        "ledger", "rate", "shape", "control", ...
    state : str
        One of ``STATES``.
    reason : str
        One line, empty when the check holds.
    value, limit : float or None
        The compared quantity and its limit.
    margin : float or None
        How far past the limit (see above).
    margin_kind : {"ratio", "difference"}
        How ``margin`` compares.
    details : dict
        Anything else a reader needs.

    Raises
    ------
    ValueError
        An unknown ``state``.

    Examples
    --------
    >>> Check("positive", "shape", "holds").holds
    True
    """

    name: str
    kind: str
    state: str
    reason: str = ""
    value: float | None = None
    limit: float | None = None
    margin: float | None = None
    margin_kind: str = "ratio"
    details: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"state: must be one of {STATES}, got {self.state!r}")

    @property
    def holds(self) -> bool:
        """``state == "holds"``."""
        return self.state == HOLDS

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON values (:func:`jsonable`).

        Returns
        -------
        dict
        """
        return jsonable(asdict(self))


@dataclass
class Slope:
    """A rate check: OLS log-log ``slope`` ± ``half_width`` (95%) against ``exponent``.

    ``direction``: "to_zero", "to_infinity" (one-sided, the bound's exponent) or "two_sided".
    ``state`` defaults to holds/fails from ``holds`` when not given (legacy construction).
    Built by :func:`slope_check`.

    Parameters
    ----------
    parameter : str
        The parameter's name.
    slope, half_width : float
        The OLS log-log slope and its 95% half-width.
    exponent : float
        The bound's exponent.
    direction : {"to_zero", "to_infinity", "two_sided"}
        How the slope is compared with ``exponent``.
    holds : bool or None
        Legacy: the state when ``state`` is None.
    state : str or None
        One of ``STATES``.
    reason : str
        One line.
    n_values : int or None
        Distinct parameter values.
    half_width_limit, alternative, observable : float or None
        The limit on ``half_width``, the rate it separates ``exponent`` from, and the known
        observable rate (see :func:`slope_check`).

    Raises
    ------
    ValueError
        An unknown ``state``.
    """

    parameter: str
    slope: float
    half_width: float
    exponent: float
    direction: str  # "to_zero", "to_infinity" or "two_sided"
    holds: bool | None = None
    state: str | None = None
    reason: str = ""
    n_values: int | None = None
    half_width_limit: float | None = None
    alternative: float | None = None
    observable: float | None = None

    def __post_init__(self) -> None:
        if self.state is None:
            self.state = HOLDS if self.holds else FAILS
        if self.state not in STATES:
            raise ValueError(f"state: must be one of {STATES}, got {self.state!r}")
        self.holds = self.state == HOLDS

    @property
    def margin(self) -> float:
        """Slope past its one-sided limit, in exponent units (> 0: violated)."""
        if self.direction == "to_infinity":
            return float(self.slope - (self.exponent + self.half_width))
        if self.direction == "to_zero":
            return float((self.exponent - self.half_width) - self.slope)
        return float(abs(self.slope - self.exponent) - self.half_width)

    def as_check(self) -> Check:
        """This rate check as a :class:`Check` (``kind="rate"``, difference margin).

        Returns
        -------
        Check
        """
        return Check(f"rate in {self.parameter}", "rate", str(self.state), self.reason,
                     value=self.slope, limit=self.exponent, margin=self.margin,
                     margin_kind="difference", details=self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON values (:func:`jsonable`).

        Returns
        -------
        dict
        """
        return jsonable(asdict(self))


@dataclass
class ClaimRecord:
    """One claim's outcome; ``to_dict`` is the JSON record of ``diffbounds verify --json``.

    ``state`` (holds / fails / inconclusive) and ``reason`` follow from ``checks`` and
    ``slopes`` (each slope is a rate check) when ``state`` is not given; a record built the
    legacy way with ``holds=`` only maps True/False to holds/fails. ``holds`` is always
    ``state == "holds"``. ``controls`` are the :class:`ControlRecord` of the claim's negative
    controls (``Claim.run`` fills them); ``ledger`` maps each ledger key the claim checks to its
    pinned constant.

    Parameters
    ----------
    name : str
        The claim.
    statements : list of str
        Keys of the statements it checks.
    params : dict
        The grid's parameters (columns).
    predicted, measured, ratio, uncertainty : object
        The bound, the measurement, their ratio and its uncertainty (per point).
    holds : bool or None
        Legacy: the state when neither ``state`` nor ``checks`` are given.
    fitted_constant, held_out_worst_ratio : float or None
        Legacy shape statistics.
    slopes : list of Slope
        Rate checks.
    details : dict
        Anything else.
    seconds : float
        Wall time of the run.
    state : str or None
        One of ``STATES``; None to derive it from the checks.
    reason : str
        One line.
    checks : list of Check
        The claim's checks.
    controls : list
        :class:`ControlRecord` of the negative controls.
    ledger : dict
        Ledger key → pinned constant.

    Raises
    ------
    ValueError
        No checks, state or holds, or an unknown state.

    Examples
    --------
    >>> rec = ClaimRecord("demo", [], {}, checks=[Check("a", "shape", "holds"),
    ...                                           Check("b", "shape", "inconclusive", "few")])
    >>> rec.state, rec.reason
    ('inconclusive', 'b: few')
    """

    name: str
    statements: list[str]
    params: dict
    predicted: object = None
    measured: object = None
    ratio: object = None
    holds: bool | None = None
    fitted_constant: float | None = None
    uncertainty: object = None
    held_out_worst_ratio: float | None = None
    slopes: list[Slope] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    seconds: float = 0.0
    state: str | None = None
    reason: str = ""
    checks: list[Check] = field(default_factory=list)
    controls: list = field(default_factory=list)
    ledger: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.state is None:
            if self.checks or (self.holds is None and self.slopes):
                self.state, self.reason = summarize(self.all_checks())
            elif self.holds is None:
                raise ValueError("ClaimRecord: give checks, state or holds")
            else:
                self.state = HOLDS if self.holds else FAILS
                if not self.reason:
                    self.reason = "" if self.holds else "a check of the claim fails"
        if self.state not in STATES:
            raise ValueError(f"state: must be one of {STATES}, got {self.state!r}")
        self.holds = self.state == HOLDS

    def all_checks(self) -> list[Check]:
        """``checks`` plus each slope not already among them, as a rate check.

        Returns
        -------
        list of Check
        """
        names = {c.name for c in self.checks}
        return list(self.checks) + [s.as_check() for s in self.slopes
                                    if f"rate in {s.parameter}" not in names]

    def set_state(self, state: str, reason: str) -> None:
        """Set ``state``, ``reason`` and ``holds`` together.

        Parameters
        ----------
        state : str
            One of ``STATES``.
        reason : str
            One line.

        Raises
        ------
        ValueError
            An unknown state.
        """
        if state not in STATES:
            raise ValueError(f"state: must be one of {STATES}, got {state!r}")
        self.state, self.reason, self.holds = state, reason, state == HOLDS

    def to_dict(self) -> dict[str, Any]:
        """The JSON record of ``diffbounds verify --json`` (slopes, checks, controls nested).

        Returns
        -------
        dict
        """
        d = asdict(self)
        d["slopes"] = [s.to_dict() for s in self.slopes]
        d["checks"] = [c.to_dict() for c in self.checks]
        d["controls"] = [c.to_dict() if hasattr(c, "to_dict") else c for c in self.controls]
        return jsonable(d)


@dataclass
class ControlRecord:
    """A negative control's outcome: ``rejected`` when its verdict fails (as it must).

    ``margin``: the largest margin among the control's failing checks (needed/pinned constant
    for a ledger check, slope past its limit for a rate); ``check`` names that check.

    Parameters
    ----------
    claim, name, description : str
        The claim, the control's name and what it breaks.
    state, reason : str
        The control's verdict (``FAILS`` means rejected).
    margin : float or None
        See above.
    margin_kind : str
        "ratio" or "difference".
    check : str
        The deciding check's name.
    seconds : float
        Wall time.
    """

    claim: str
    name: str
    description: str
    state: str
    reason: str
    margin: float | None
    margin_kind: str
    check: str
    seconds: float = 0.0

    @property
    def rejected(self) -> bool:
        """``state == "fails"``: the control was rejected, as it must be."""
        return self.state == FAILS

    def to_dict(self) -> dict[str, Any]:
        """The fields and ``rejected`` as JSON values.

        Returns
        -------
        dict
        """
        return jsonable({**asdict(self), "rejected": self.rejected})


def summarize(checks: Iterable[Check]) -> tuple[str, str]:
    """(state, reason) of a list of checks: the combined state and the reasons of the checks
    that decide it (joined by semicolons when several do).

    Parameters
    ----------
    checks : iterable of Check
        The checks.

    Returns
    -------
    (str, str)
        The combined state and its reason ("" when it holds).

    Examples
    --------
    >>> summarize([Check("a", "shape", "fails", "too big"), Check("b", "shape", "holds")])
    ('fails', 'a: too big')
    """
    checks = list(checks)
    state = combine_states(c.state for c in checks)
    if state == HOLDS:
        return state, ""
    return state, "; ".join(f"{c.name}: {c.reason}" for c in checks if c.state == state)


def control_margin(record: ClaimRecord) -> tuple[float | None, str, str]:
    """(margin, margin kind, check name) of a control's verdict: its worst failing check.

    When no check fails, the worst of the checks that have a margin.

    Parameters
    ----------
    record : ClaimRecord
        The control's record.

    Returns
    -------
    (float or None, str, str)
        The margin (None when no check has one), "ratio" or "difference", and the check.
    """
    failing = [c for c in record.all_checks() if c.state == FAILS and c.margin is not None]
    if not failing:
        others = [c for c in record.all_checks() if c.margin is not None]
        if not others:
            return None, "ratio", ""
        failing = others
    # Compare ratio margins as log-ratios with difference margins (both 0 at the limit).
    def score(c):
        return math.log(max(c.margin, 1e-300)) if c.margin_kind == "ratio" else c.margin
    worst = max(failing, key=score)
    assert worst.margin is not None  # ``failing`` holds only checks with a margin
    return float(worst.margin), worst.margin_kind, worst.name


def jsonable(obj: Any) -> Any:
    """``obj`` with NumPy arrays and scalars turned into JSON values (non-finite floats as
    strings, unknown objects as their ``str``).

    Parameters
    ----------
    obj : object
        Dicts, lists and tuples are converted recursively; objects with ``to_dict`` through it.

    Returns
    -------
    object
        A JSON value.

    Examples
    --------
    >>> import numpy as np
    >>> jsonable({"a": np.array([1.0, np.inf]), "b": np.int64(2)})
    {'a': [1.0, 'inf'], 'b': 2}
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if np.isfinite(f) else str(f)
    if isinstance(obj, (str, int)) or obj is None:
        return obj
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return str(obj)


# ---------------------------------------------------------------------------- constants
def ledger_check(key: str, measured: ArrayLike, bound: ArrayLike, *,
                 uncertainty: ArrayLike = 0.0, points: Sequence[dict] | None = None,
                 claim: str = "", ledger: Ledger | None = None,
                 name: str | None = None) -> Check:
    """Check measurements against the ledger's pinned constant of ``key`` (module docstring).

    Parameters
    ----------
    key : str
        Ledger key: a statement key from ``bounds`` (``"gupta2024.corollary_b6"``), or a
        statement key with a term in brackets (``"gupta2024.corollary_b6[score_error]"``).
    measured, bound : array_like, shape (n,)
        The measured quantity and the bound evaluated with constant 1 at the same points
        (bound > 0, finite).
    uncertainty : float or array_like, shape (n,)
        The measurement's method/sampling error (≥ 0); it enters as ± ``K_SIGMA``·uncertainty.
    points : list of dict, optional
        The grid points (named in messages and stored with the ledger candidate).
    claim : str
        The claim's name (provenance of the candidate).
    ledger : claims.ledger.Ledger, optional
        Default: the repository's ledger (``claims/ledger.toml``).
    name : str, optional
        The check's name; default "constant KEY".

    Returns
    -------
    Check
        ``kind="ledger"``; ``value`` the needed constant (largest upper-end ratio, smallest
        lower-end ratio for a lower bound), ``limit`` the pinned one, ``margin`` the needed
        constant of the lower (resp. upper) end over the pinned one; ``details["candidate"]``
        the worst point as a ledger candidate. Inconclusive if the key is not in the ledger.

    Raises
    ------
    ValueError
        If shapes differ, the bound is not positive and finite, or measured/uncertainty are
        not finite (or uncertainty < 0).
    """
    from diffbounds.claims.ledger import load_ledger

    measured = np.atleast_1d(np.asarray(measured, float))
    bound = np.atleast_1d(np.asarray(bound, float))
    if measured.shape != bound.shape:
        raise ValueError(f"bound: shape {bound.shape} differs from measured's {measured.shape}")
    unc = np.broadcast_to(np.asarray(uncertainty, float), measured.shape)
    if not np.all(np.isfinite(measured)):
        raise ValueError("measured: must be finite")
    if not (np.all(np.isfinite(unc)) and np.all(unc >= 0)):
        raise ValueError("uncertainty: must be finite and >= 0")
    if not (np.all(np.isfinite(bound)) and np.all(bound > 0)):
        raise ValueError("bound: must be positive and finite at every point")
    if points is not None and len(points) != measured.size:
        raise ValueError(f"points: {len(points)} points for {measured.size} measurements")
    ledger = load_ledger() if ledger is None else ledger
    entry = ledger.get(key)
    kind = entry.kind if entry is not None else ledger.kind_of(key)
    upper, lower = (measured + K_SIGMA * unc) / bound, (measured - K_SIGMA * unc) / bound
    if kind == "upper":
        i = int(np.argmax(upper))
        needed, decisive = float(upper[i]), float(np.max(lower))
    else:
        i = int(np.argmin(lower))
        needed, decisive = float(lower[i]), float(np.min(upper))
    point = dict(points[i]) if points is not None else {"index": i}
    candidate = dict(key=key, kind=kind, ratio=needed, claim=claim, point=point,
                     measured=float(measured[i]), uncertainty=float(unc[i]),
                     bound=float(bound[i]))
    details = dict(candidate=jsonable(candidate), worst_point=jsonable(point),
                   ratio_upper=upper, ratio_lower=lower)
    label = name or f"constant {key}"
    if entry is None:
        return Check(label, "ledger", INCONCLUSIVE,
                     f"no pinned constant for {key} in the ledger (needed {needed:.4g}); "
                     "pin one with `diffbounds ledger update`", value=needed, details=details)
    C = entry.constant
    tol = 1.0 + ROUNDOFF
    if kind == "upper":
        ok, bad = needed <= C * tol, decisive > C * tol
        margin = decisive / C if C > 0 else math.inf
        word = "larger"
    else:
        ok, bad = needed >= C / tol, decisive < C / tol
        margin = C / decisive if decisive > 0 else math.inf
        word = "smaller"
    if ok:
        state, reason = HOLDS, ""
    elif bad:
        state = FAILS
        reason = (f"{key} needs a {word} constant: {needed:.4g} (measurement ± {K_SIGMA:g} "
                  f"unc) vs pinned {C:.4g} at {_fmt_point(point)}")
    else:
        state = INCONCLUSIVE
        reason = (f"{key}: method error straddles the pinned constant {C:.4g} "
                  f"(needed {needed:.4g}, {decisive:.4g} without the error) at "
                  f"{_fmt_point(point)}")
    return Check(label, "ledger", state, reason, value=needed, limit=C, margin=float(margin),
                 details=details)


def _fmt_point(point) -> str:
    return "{" + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in point.items()) + "}"


def shape_check(name: str, ok: bool, reason: str, *, inconclusive: bool = False,
                value: float | None = None, limit: float | None = None,
                margin: float | None = None, margin_kind: str = "ratio",
                **details: Any) -> Check:
    """A boolean property of the measurement as a :class:`Check`: holds when ``ok``, else
    fails with ``reason`` (inconclusive instead when ``inconclusive``).

    Parameters
    ----------
    name : str
        The check's name.
    ok : bool
        Whether the property holds.
    reason : str
        Why not (kept only when not ``ok``).
    inconclusive : bool
        Not ``ok`` means inconclusive rather than fails.
    value, limit, margin : float or None
        As :class:`Check`.
    margin_kind : str
        As :class:`Check`.
    **details
        Stored (as JSON values) in ``Check.details``.

    Returns
    -------
    Check
        ``kind="shape"``.

    Examples
    --------
    >>> shape_check("monotone", False, "rises at n = 8", inconclusive=True).state
    'inconclusive'
    """
    state = HOLDS if ok else (INCONCLUSIVE if inconclusive else FAILS)
    return Check(name, "shape", state, "" if ok else reason, value=value, limit=limit,
                 margin=margin, margin_kind=margin_kind, details=jsonable(details))


# ---------------------------------------------------------------------------- shape helpers
def grid_boundary(*columns: ArrayLike) -> np.ndarray:
    """Calibration mask: points where some parameter is at its smallest or largest grid value.

    A parameter with fewer than three distinct values has no interior and is ignored (else
    every point would be on the boundary).

    Parameters
    ----------
    *columns : array_like
        One column of parameter values per parameter, each shape (n,).

    Returns
    -------
    numpy.ndarray
        bool, shape (n,).

    Raises
    ------
    ValueError
        Every point is on the boundary.

    Examples
    --------
    >>> grid_boundary([1, 2, 3, 4]).tolist()
    [True, False, False, True]
    """
    cols = [np.asarray(c, float) for c in columns]
    mask = np.zeros(len(cols[0]), bool)
    for c in cols:
        if np.unique(c).size >= 3:
            mask |= (c == c.min()) | (c == c.max())
    if mask.all():
        raise ValueError("columns: the grid has no interior point to hold out")
    return mask


def fit_constant(measured: ArrayLike, bound: ArrayLike, calibration: ArrayLike) -> float:
    """Smallest C with measured ≤ C·bound on the calibration points (bound > 0).

    Parameters
    ----------
    measured, bound : array_like
        Shape (n,); bound positive and finite.
    calibration : array_like of bool
        Shape (n,), the points that set C.

    Returns
    -------
    float
        C.

    Raises
    ------
    ValueError
        No calibration point, or a bound that is not positive and finite.

    Examples
    --------
    >>> fit_constant([1.0, 3.0, 10.0], [1.0, 1.0, 1.0], [True, True, False])
    3.0
    """
    measured, bound = np.asarray(measured, float), np.asarray(bound, float)
    calibration = np.asarray(calibration, bool)
    if not calibration.any():
        raise ValueError("calibration: no calibration points")
    if np.any(bound <= 0) or not np.all(np.isfinite(bound)):
        raise ValueError("bound: must be positive and finite at every grid point")
    return float(np.max(measured[calibration] / bound[calibration]))


def fit_term_constants(measured: ArrayLike, terms: ArrayLike,
                       calibration: ArrayLike) -> np.ndarray:
    """Per-term constants C_i ≥ 0 of measured ≤ Σ C_i B_i on the calibration points (linear
    program: minimise Σ_i C_i·mean(B_i)). A shape tool: constants a verdict relies on come
    from the ledger.

    Parameters
    ----------
    measured : array_like
        Shape (n,).
    terms : array_like
        The terms B_i, shape (r, n), non-negative and finite.
    calibration : array_like of bool
        Shape (n,).

    Returns
    -------
    numpy.ndarray
        C, shape (r,).

    Raises
    ------
    ValueError
        No calibration point, or negative or non-finite terms.
    RuntimeError
        The linear program fails.

    Examples
    --------
    >>> fit_term_constants([2.0, 3.0], [[1.0, 1.0], [0.0, 1.0]], [True, True]).tolist()
    [2.0, 1.0]
    """
    measured = np.asarray(measured, float)
    terms = np.atleast_2d(np.asarray(terms, float))
    calibration = np.asarray(calibration, bool)
    if not calibration.any():
        raise ValueError("calibration: no calibration points")
    if np.any(terms < 0) or not np.all(np.isfinite(terms)):
        raise ValueError("terms: must be non-negative and finite at every grid point")
    from scipy.optimize import linprog

    A = terms[:, calibration].T
    cost = terms.mean(axis=1) + 1e-300
    res = linprog(cost, A_ub=-A, b_ub=-measured[calibration], bounds=[(0, None)] * len(cost),
                  method="highs")
    if res.status != 0:
        raise RuntimeError(f"fit_term_constants: linear program failed ({res.message})")
    return res.x


def worst_held_out_index(measured: ArrayLike, bound: ArrayLike, calibration: ArrayLike,
                         uncertainty: ArrayLike = 0.0) -> int:
    """Index (into the full grid) of the held-out point with the largest upper-end ratio.

    Parameters
    ----------
    measured, bound : array_like
        Shape (n,).
    calibration : array_like of bool
        Shape (n,); the other points are held out.
    uncertainty : float or array_like
        Enters as + ``K_SIGMA``·uncertainty.

    Returns
    -------
    int
        The index.

    Examples
    --------
    >>> worst_held_out_index([1.0, 2.0, 3.0, 0.5], [1.0] * 4, [True, False, True, False])
    1
    """
    measured, bound = np.asarray(measured, float), np.asarray(bound, float)
    unc = np.broadcast_to(np.asarray(uncertainty, float), measured.shape)
    ratio = np.where(np.asarray(calibration, bool), -np.inf, (measured + K_SIGMA * unc) / bound)
    return int(np.argmax(ratio))


def held_out_check(measured: ArrayLike, bound: ArrayLike, calibration: ArrayLike,
                   constant: float, uncertainty: ArrayLike = 0.0) -> tuple[bool, float]:
    """(holds, worst ratio) of the upper end measured + K_SIGMA·uncertainty against C·bound
    off calibration (uncertainty never makes the check easier).

    Parameters
    ----------
    measured, bound : array_like
        Shape (n,).
    calibration : array_like of bool
        Shape (n,); the other points are checked.
    constant : float
        C.
    uncertainty : float or array_like
        Enters as + ``K_SIGMA``·uncertainty.

    Returns
    -------
    (bool, float)
        Whether every held-out ratio is ≤ 1 (up to ``ROUNDOFF``), and the worst ratio.

    Raises
    ------
    ValueError
        Nothing is held out.

    Examples
    --------
    >>> held_out_check([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], [True, False, True], 2.5)
    (True, 0.8)
    """
    measured, bound = np.asarray(measured, float), np.asarray(bound, float)
    held = ~np.asarray(calibration, bool)
    if not held.any():
        raise ValueError("calibration: every point is a calibration point; nothing is held out")
    unc = np.broadcast_to(np.asarray(uncertainty, float), measured.shape)
    upper = measured[held] + K_SIGMA * unc[held]
    worst = float(np.max(upper / (constant * bound[held]))) if constant > 0 else float("inf")
    return bool(worst <= 1.0 + ROUNDOFF), worst


# ---------------------------------------------------------------------------- rates
def loglog_slope(x: ArrayLike, y: ArrayLike) -> tuple[float, float]:
    """OLS slope of log y on log x and the half-width of its 95% confidence interval.

    Parameters
    ----------
    x, y : array_like
        Positive values, shape (n,), n >= 3.

    Returns
    -------
    (float, float)
        The slope and the half-width (Student t, n − 2 degrees of freedom).

    Raises
    ------
    ValueError
        Fewer than 3 points, or non-positive values.

    Examples
    --------
    >>> slope, half = loglog_slope([1.0, 2.0, 4.0, 8.0], [1.0, 0.5, 0.25, 0.125])
    >>> round(slope, 12), round(half, 12)
    (-1.0, 0.0)
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size < 3:
        raise ValueError("x: a slope with a confidence interval needs at least 3 points")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("y: log-log slopes need positive values")
    res = stats.linregress(np.log(x), np.log(y))
    half = float(stats.t.ppf(0.975, x.size - 2) * res.stderr)
    return float(res.slope), half


def slope_check(parameter: str, x: ArrayLike, y: ArrayLike, exponent: float, direction: str,
                *, alternative: float | None = None, max_half_width: float | None = None,
                observable: float | None = None, observable_tolerance: float = 0.0,
                min_values: int = MIN_SLOPE_VALUES) -> Slope:
    """Powered rate check of the log-log slope of ``y`` in ``x`` (module docstring).

    Parameters
    ----------
    parameter : str
        The parameter's name (for messages).
    x, y : array_like, shape (n,)
        Positive parameter values and measurements.
    exponent : float
        The bound's exponent in the parameter; checked one-sided by ``direction``
        ("to_infinity": slope ≤ exponent + h; "to_zero": slope ≥ exponent − h) or, with
        "two_sided", |slope − exponent| ≤ h.
    alternative : float, optional
        The rate the check must tell from ``exponent``; sets the half-width limit
        ``half_width_limit(exponent, alternative)``. Default: exponent ± ½ on the failing side
        (limit 0.272).
    max_half_width : float, optional
        An explicit limit instead (document its derivation at the call).
    observable : float, optional
        The rate the measurement is known to show: adds |slope − observable| ≤ h +
        ``observable_tolerance`` (two-sided).
    observable_tolerance : float
        Added to h in the observable-rate test.
    min_values : int
        Distinct x values needed (default ``MIN_SLOPE_VALUES`` = 5).

    Returns
    -------
    Slope
        state holds / fails / inconclusive (fewer than ``min_values`` distinct values, or
        h above the limit: never "holds") with its reason.

    Raises
    ------
    ValueError
        Bad direction, non-positive values, fewer than 3 points.

    Examples
    --------
    >>> x = [1.0, 2.0, 4.0, 8.0, 16.0]
    >>> check = slope_check("n", x, [1 / v for v in x], -0.5, "to_infinity")
    >>> check.state, round(check.slope, 6)  # decays faster than the bound: consistent
    ('holds', -1.0)
    """
    if direction not in ("to_zero", "to_infinity", "two_sided"):
        raise ValueError(f"direction: must be 'to_zero', 'to_infinity' or 'two_sided', "
                         f"got {direction!r}")
    x = np.asarray(x, float)
    slope, half = loglog_slope(x, y)
    exponent = float(exponent)
    if max_half_width is None:
        if alternative is None:
            alternative = exponent + (-0.5 if direction == "to_zero" else 0.5)
        limit = half_width_limit(exponent, alternative)
    else:
        limit = float(max_half_width)
    if direction == "to_infinity":
        one_ok = slope <= exponent + half
    elif direction == "to_zero":
        one_ok = slope >= exponent - half
    else:
        one_ok = abs(slope - exponent) <= half
    obs_ok = True if observable is None else \
        abs(slope - float(observable)) <= half + float(observable_tolerance)
    n_values = int(np.unique(x).size)
    rel = {"to_infinity": "≤", "to_zero": "≥", "two_sided": "≈"}[direction]
    if n_values < min_values:
        state = INCONCLUSIVE
        reason = f"only {n_values} distinct {parameter} values (< {min_values})"
    elif half > limit:
        state = INCONCLUSIVE
        reason = (f"95% half-width {half:.3g} above the limit {limit:.3g} needed to tell "
                  f"{exponent:g} from {alternative if alternative is not None else '?'}")
    elif not one_ok:
        state = FAILS
        reason = f"slope {slope:.3f} ± {half:.3f} not {rel} bound exponent {exponent:g}"
    elif not obs_ok:
        state = FAILS
        reason = (f"slope {slope:.3f} ± {half:.3f} differs from the observable rate "
                  f"{observable:g} by more than {observable_tolerance:g}")
    else:
        state, reason = HOLDS, ""
    return Slope(parameter, slope, half, exponent, direction, state=state, reason=reason,
                 n_values=n_values, half_width_limit=limit,
                 alternative=None if alternative is None else float(alternative),
                 observable=None if observable is None else float(observable))


def line_slope_check(parameter: str, x: ArrayLike, y: ArrayLike, exponent: float,
                     direction: str, **kw: Any) -> Slope | Check:
    """``slope_check`` on a grid line, or an inconclusive :class:`Check` when the line has
    fewer than 3 points (a verdict on a partial grid, e.g. a ledger replay of one point).

    Parameters
    ----------
    parameter, x, y, exponent, direction
        As :func:`slope_check`.
    **kw
        Passed to :func:`slope_check`.

    Returns
    -------
    Slope or Check
        The slope check, or an inconclusive Check.

    Raises
    ------
    ValueError
        As :func:`slope_check`.

    Examples
    --------
    >>> line_slope_check("n", [1.0, 2.0], [1.0, 0.5], -1.0, "to_infinity").state
    'inconclusive'
    """
    x = np.asarray(x, float)
    if x.size < 3:
        return Check(f"rate in {parameter}", "rate", INCONCLUSIVE,
                     f"the grid has only {x.size} point(s) on the {parameter} line")
    return slope_check(parameter, x, y, exponent, direction, **kw)
