"""The bundled sweep files (``*.toml``), addressable by name: ``diffbounds sweep run quick``.

The files are package data, so the names work from any directory and in an installed wheel;
a path to a sweep file of one's own is still accepted everywhere a name is.

>>> from diffbounds import sweeps
>>> "quick" in sweeps.names()
True
>>> sweeps.resolve("quick").name
'quick.toml'
"""

from __future__ import annotations

import os
from pathlib import Path

#: the folder holding the bundled ``*.toml`` files
DIRECTORY = Path(__file__).resolve().parent


def names() -> list[str]:
    """The names of the bundled sweeps, sorted.

    Returns
    -------
    list of str
        File stems of the bundled ``*.toml`` files, e.g. ``"quick"``, ``"propagation"``.
    """
    return sorted(p.stem for p in DIRECTORY.glob("*.toml"))


def resolve(name_or_path: str | os.PathLike) -> Path:
    """The sweep file meant by a bundled sweep's name or by a path.

    An existing file wins (so a user's ``quick.toml`` in the working directory is read as
    given); otherwise a bare name (``quick`` or ``quick.toml``) is looked up among the bundled
    sweeps.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        A bundled sweep's name, or the path of a sweep file.

    Returns
    -------
    pathlib.Path
        The file to read.

    Raises
    ------
    TypeError
        If ``name_or_path`` is not a str or path.
    ValueError
        If it is neither an existing file nor a bundled sweep's name (the message lists them).
    """
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(f"sweep: must be a bundled sweep's name or a path, got "
                        f"{type(name_or_path).__name__}")
    path = Path(name_or_path)
    if path.is_file():
        return path
    stem = path.name[:-5] if path.name.endswith(".toml") else path.name
    if path.parent == Path(".") and stem in names():
        return DIRECTORY / f"{stem}.toml"
    raise ValueError(f"sweep: {str(name_or_path)!r} is neither a sweep file nor a bundled "
                     f"sweep; bundled: {', '.join(names())}")
