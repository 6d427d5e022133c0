"""The registry of statements: ``get(key)``, ``keys()``, ``register(statement)``."""

from __future__ import annotations

import difflib

from diffbounds.bounds.statement import Statement

_REGISTRY: dict[str, Statement] = {}


class UnknownKeyError(KeyError, ValueError):
    """An unknown statement key; the message lists close matches."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "unknown key"


def register(statement: Statement, *, replace: bool = False) -> Statement:
    """Add ``statement`` to the registry under ``statement.key``.

    Parameters
    ----------
    statement : Statement
        The statement.
    replace : bool
        Replace a statement registered under the same key.

    Returns
    -------
    Statement
        ``statement``.

    Raises
    ------
    TypeError
        Not a Statement.
    ValueError
        The key is taken and ``replace`` is False.

    Examples
    --------
    >>> from diffbounds import bounds
    >>> bounds.register(bounds.get("gupta2024.theorem_1_2"), replace=True).key
    'gupta2024.theorem_1_2'
    """
    if not isinstance(statement, Statement):
        raise TypeError(f"statement: expected a bounds.Statement, got {type(statement).__name__}")
    if statement.key in _REGISTRY and not replace:
        raise ValueError(f"key: {statement.key!r} is already registered")
    _REGISTRY[statement.key] = statement
    return statement


def get(key: str) -> Statement:
    """The registered statement ``key`` (e.g. ``"gupta2024.theorem_1_2"``).

    Parameters
    ----------
    key : str
        A registered key (a Statement is returned as is).

    Returns
    -------
    Statement

    Raises
    ------
    UnknownKeyError
        An unknown key (a ``KeyError``), naming close matches.
    TypeError
        A key that is not a string.

    Examples
    --------
    >>> from diffbounds import bounds
    >>> thm = bounds.get("gupta2024.theorem_1_2")
    >>> thm.status, thm.quantity
    ('VERBATIM', 'samples')
    """
    if isinstance(key, Statement):
        return key
    if not isinstance(key, str):
        raise TypeError(f"key: expected a string, got {type(key).__name__}")
    try:
        return _REGISTRY[key]
    except KeyError:
        pass
    close = difflib.get_close_matches(key, list(_REGISTRY), n=5, cutoff=0.4)
    if not close:
        close = [k for k in _REGISTRY if key.lower() in k.lower()][:5]
    hint = f"; close matches: {', '.join(close)}" if close else ""
    raise UnknownKeyError(f"key: unknown statement {key!r}{hint} "
                          f"(`diffbounds bounds list` shows all {len(_REGISTRY)})")


def keys(prefix: str | None = None) -> list[str]:
    """All registered keys (in registration order), optionally those starting with ``prefix``.

    Parameters
    ----------
    prefix : str or None
        Keep the keys starting with it.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from diffbounds import bounds
    >>> bounds.keys("gupta2024.lemma_4_1")
    ['gupta2024.lemma_4_1', 'gupta2024.lemma_4_1_eta', 'gupta2024.lemma_4_1_l2_gap']
    """
    return [k for k in _REGISTRY if prefix is None or k.startswith(prefix)]


def statements() -> list[Statement]:
    """All registered statements, in registration order.

    Returns
    -------
    list of Statement

    Examples
    --------
    >>> from diffbounds import bounds
    >>> [st.key for st in bounds.statements()] == bounds.keys()
    True
    """
    return list(_REGISTRY.values())
