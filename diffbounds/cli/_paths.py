"""Output paths checked before any work starts, so that a long run never ends in a lost result
because its output folder is missing or not writable."""

from __future__ import annotations

import os
from pathlib import Path


def check_output_file(option: str, path) -> None:
    """ValueError naming ``option`` unless ``path`` can be written: its folder exists and is
    writable, and it is not a folder itself."""
    if path is None:
        return
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise ValueError(f"{option}: {str(p)!r} is a folder; give a file path")
    if not folder.is_dir():
        raise ValueError(f"{option}: the folder {str(folder)!r} of {str(p)!r} does not exist; "
                         "create it first (nothing was run)")
    if not os.access(folder, os.W_OK | os.X_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise ValueError(f"{option}: {str(p)!r} is not writable (nothing was run)")
