"""The constant ledger: one pinned absolute constant per statement (per term where split).

``claims/ledger.toml`` holds, for each ledger key, the largest measured/bound ratio ever seen
(the smallest, for a lower bound), with the instance that achieved it and how it was found.
A key is a statement key of ``bounds`` (``gupta2024.corollary_b6``) or a statement key with a
term in brackets (``gupta2024.corollary_b6[score_error]``) where a claim checks a part of a
statement on its own. Ratios are always the upper end of the measurement over the bound with
constant 1, ``(measured + K_SIGMA·unc)/bound`` (lower end for lower bounds), the same numbers
``verdict.ledger_check`` compares with the pinned constant.

Every claim that uses a statement checks against this one constant (``propagation_tv``,
``l2_versus_quantile`` and ``frontier_w2`` all against Corollary B.6's). ``verify`` never
writes the ledger; raising a constant is an explicit, reviewable act:
``diffbounds ledger update --from-store PATH`` (the grid's worst points, from a sweep store)
or ``--from-hunt PATH`` (the worst instance of ``diffbounds hunt``); ``diffbounds ledger show``
prints it. A candidate replaces an entry only when it needs a larger constant (smaller, for a
lower bound): constants only move towards what the statement really needs.

File format (TOML, one table per key)::

    [entries."gupta2024.lemma_b4"]
    kind = "upper"                 # "upper": C = max ratio; "lower": C = min ratio
    constant = 0.0123              # the pinned constant
    found_by = "grid"              # "grid" (a sweep's point) or "hunt" (diffbounds hunt)
    claim = "discretization"       # grid: the claim; hunt: "hunt"
    seed = 0                       # the instance's seed (hunt: the search seed), -1 if none
    code_version = "0.1.0+src.…"   # claims.sweep.code_version() when found
    git_commit = "…"
    date = "2026-11-30T12:00:00Z"
    source = "…"                   # store path / hunt file it came from
    point = { N = 20, T = 8.0, spacing = 0.02 }   # the instance, replayable
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

LEDGER_PATH = Path(__file__).resolve().parent / "ledger.toml"

# Statements that are lower bounds: their constant is the smallest ratio seen.
LOWER_BOUND_STATEMENTS = ("gupta2024.lemma_4_1", "gupta2024.lemma_4_2")


def statement_of(key: str) -> str:
    """The statement key of a ledger key (the part before ``[term]``).

    Parameters
    ----------
    key : str
        A ledger key.

    Returns
    -------
    str
        The statement key.

    Examples
    --------
    >>> statement_of("gupta2024.corollary_b6[score_error]")
    'gupta2024.corollary_b6'
    """
    return key.split("[", 1)[0]


@dataclass
class LedgerEntry:
    """One pinned constant and the instance that set it (module docstring).

    Parameters
    ----------
    key : str
        The ledger key.
    kind : {"upper", "lower"}
        Whether the statement is an upper or a lower bound.
    constant : float
        The pinned constant, finite and > 0.
    found_by : {"grid", "hunt"}
        Where the instance came from.
    claim : str
        The claim that measured it.
    point : dict
        The instance's parameters.
    seed : int
        Its seed (-1: none).
    code_version, git_commit, date, source : str
        Provenance.

    Raises
    ------
    ValueError
        A bad ``kind``, ``found_by`` or ``constant``.
    """

    key: str
    kind: str
    constant: float
    found_by: str
    claim: str
    point: dict
    seed: int = -1
    code_version: str = ""
    git_commit: str = ""
    date: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("upper", "lower"):
            raise ValueError(f"kind: must be 'upper' or 'lower', got {self.kind!r} ({self.key})")
        if self.found_by not in ("grid", "hunt"):
            raise ValueError(f"found_by: must be 'grid' or 'hunt', got {self.found_by!r} "
                             f"({self.key})")
        c = float(self.constant)
        if not (math.isfinite(c) and c > 0):
            raise ValueError(f"constant: must be finite and > 0, got {self.constant!r} "
                             f"({self.key})")
        self.constant = c

    def needs_raise(self, ratio: float) -> bool:
        """Whether a candidate ``ratio`` needs a larger (lower bound: smaller) constant.

        Parameters
        ----------
        ratio : float
            A measured/bound ratio.

        Returns
        -------
        bool

        Examples
        --------
        >>> e = LedgerEntry("k", "upper", 2.0, "grid", "c", {})
        >>> e.needs_raise(2.5), e.needs_raise(1.5)
        (True, False)
        """
        return ratio > self.constant if self.kind == "upper" else ratio < self.constant


@dataclass
class Ledger:
    """The ledger's entries by key; ``path`` it was loaded from.

    Parameters
    ----------
    entries : dict
        Ledger key → :class:`LedgerEntry`.
    path : pathlib.Path or None
        The file it was loaded from.

    Examples
    --------
    >>> ledger = Ledger()
    >>> ledger.offer({"key": "gupta2024.theorem_1_2", "ratio": 0.3, "claim": "c", "point": {}},
    ...              found_by="grid")
    True
    >>> ledger.constant("gupta2024.theorem_1_2")
    0.3
    """

    entries: dict = field(default_factory=dict)
    path: Path | None = None

    def get(self, key: str) -> LedgerEntry | None:
        """The entry of ``key``, or None.

        Parameters
        ----------
        key : str
            A ledger key.

        Returns
        -------
        LedgerEntry or None
        """
        return self.entries.get(key)

    def constant(self, key: str) -> float:
        """The pinned constant of ``key``; KeyError naming the key if absent.

        Parameters
        ----------
        key : str
            A ledger key.

        Returns
        -------
        float

        Raises
        ------
        KeyError
            No pinned constant for ``key``.
        """
        if key not in self.entries:
            raise KeyError(f"key: {key!r} has no pinned constant in the ledger "
                           f"({self.path}); known: {sorted(self.entries)}")
        return self.entries[key].constant

    @staticmethod
    def kind_of(key: str) -> str:
        """"lower" for the keys of ``LOWER_BOUND_STATEMENTS``, else "upper".

        Parameters
        ----------
        key : str
            A ledger key.

        Returns
        -------
        str
        """
        return "lower" if statement_of(key) in LOWER_BOUND_STATEMENTS else "upper"

    def offer(self, candidate: dict, *, found_by: str, source: str = "") -> bool:
        """Adopt ``candidate`` (``key``, ``ratio``, ``claim``, ``point``, optional ``seed``,
        ``code_version``, ``git_commit``, ``date``) if it needs a larger constant (smaller for
        a lower bound) than the entry's, or the key is new.

        Parameters
        ----------
        candidate : dict
            As above (``details["candidate"]`` of a ledger check).
        found_by : {"grid", "hunt"}
            Where it came from.
        source : str
            Provenance text (e.g. the store).

        Returns
        -------
        bool
            Whether it was adopted.

        Raises
        ------
        ValueError
            A ratio that is not finite and > 0 (or a bad ``found_by``).
        """
        key = candidate["key"]
        ratio = float(candidate["ratio"])
        if not (math.isfinite(ratio) and ratio > 0):
            raise ValueError(f"ratio: candidate for {key} has ratio {ratio!r}; must be finite "
                             "and > 0")
        old = self.entries.get(key)
        if old is not None and not old.needs_raise(ratio):
            return False
        self.entries[key] = LedgerEntry(
            key=key, kind=candidate.get("kind", self.kind_of(key)), constant=ratio,
            found_by=found_by, claim=str(candidate.get("claim", "")),
            point=dict(candidate.get("point", {})), seed=int(candidate.get("seed", -1)),
            code_version=str(candidate.get("code_version", "")),
            git_commit=str(candidate.get("git_commit", "") or ""),
            date=str(candidate.get("date") or _now()), source=str(source))
        return True

    def to_toml(self) -> str:
        """The ledger as TOML text (entries sorted by key).

        Returns
        -------
        str
        """
        lines = ["# The constant ledger (claims/ledger.py): one pinned absolute constant per",
                 "# statement (per term where split). Written by `diffbounds ledger update`;",
                 "# never by `verify`. Review its diff like code.", ""]
        for key in sorted(self.entries):
            e = asdict(self.entries[key])
            e.pop("key")
            lines.append(f"[entries.{_toml_str(key)}]")
            for k in ("kind", "constant", "found_by", "claim", "seed", "code_version",
                      "git_commit", "date", "source"):
                lines.append(f"{k} = {_toml_value(e[k])}")
            lines.append(f"point = {_toml_value(e['point'])}")
            lines.append("")
        return "\n".join(lines)

    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Write the ledger (atomically, after a TOML round-trip check).

        Parameters
        ----------
        path : str, os.PathLike or None
            Default: the path it was loaded from, else ``claims/ledger.toml``.

        Returns
        -------
        pathlib.Path
            The file written.

        Raises
        ------
        RuntimeError
            The TOML text does not load back to the same entries.
        ValueError, TypeError
            A value TOML cannot store.
        """
        path = Path(path or self.path or LEDGER_PATH)
        text = self.to_toml()
        # Round-trip before writing: the file must load back to the same entries.
        back = _parse(tomllib.loads(text), path)
        if {k: asdict(v) for k, v in back.entries.items()} != \
                {k: asdict(v) for k, v in self.entries.items()}:
            raise RuntimeError("ledger: TOML round trip changed the entries")
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(text)
        tmp.replace(path)
        return path


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _toml_str(s: str) -> str:
    return json.dumps(str(s), ensure_ascii=False)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"ledger: non-finite value {v!r} cannot be stored")
        return repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_str(k)} = {_toml_value(x)}"
                                for k, x in v.items()) + " }" if v else "{}"
    if v is None:
        raise ValueError("ledger: None cannot be stored in TOML")
    raise TypeError(f"ledger: cannot store {type(v).__name__} {v!r}")


def _parse(data: dict, path) -> Ledger:
    entries = {}
    for key, e in data.get("entries", {}).items():
        entries[key] = LedgerEntry(key=key, **e)
    return Ledger(entries, Path(path) if path else None)


def load_ledger(path: str | os.PathLike | None = None) -> Ledger:
    """The ledger at ``path`` (default ``claims/ledger.toml``; an empty ledger if absent).

    Parameters
    ----------
    path : str, os.PathLike or None
        The ledger file.

    Returns
    -------
    Ledger

    Examples
    --------
    >>> load_ledger().kind_of("gupta2024.theorem_1_2")
    'upper'

    Raises
    ------
    ValueError
        If the file is not valid TOML or an entry is malformed.
    """
    path = Path(path or LEDGER_PATH)
    if not path.exists():
        return Ledger({}, path)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"ledger: {path} is not valid TOML ({exc})") from None
    try:
        return _parse(data, path)
    except TypeError as exc:
        raise ValueError(f"ledger: malformed entry in {path} ({exc})") from None


def candidates_of_record(record: dict) -> list[dict]:
    """The ledger candidates of a claim record (``ClaimRecord.to_dict()``): one per ledger
    check, its worst point.

    Parameters
    ----------
    record : dict
        ``ClaimRecord.to_dict()``.

    Returns
    -------
    list of dict
        The candidates, for :meth:`Ledger.offer`.

    Examples
    --------
    >>> ledger_check_dict = {"kind": "ledger", "details": {"candidate": {"key": "k", "ratio": 0.5}}}
    >>> record = {"checks": [ledger_check_dict, {"kind": "shape", "details": {}}]}
    >>> candidates_of_record(record)
    [{'key': 'k', 'ratio': 0.5}]
    """
    out = []
    for c in record.get("checks", []):
        cand = c.get("details", {}).get("candidate") if c.get("kind") == "ledger" else None
        if cand:
            out.append(dict(cand))
    return out
