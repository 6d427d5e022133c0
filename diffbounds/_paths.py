"""Where the command line and the figures write and read by default: the working directory.

Nothing is ever written into the installed package. ``diffbounds sweep`` and
``diffbounds figures`` share one default result store; both defaults can be moved with an
environment variable (useful for a shared results folder):

* result store: ``$DIFFBOUNDS_STORE``, else ``./results/diffbounds.sqlite``;
* figure files: ``$DIFFBOUNDS_FIGURES``, else ``./figures/output/``.

Relative paths are resolved against the working directory at call time, not at import.

>>> from diffbounds._paths import default_store
>>> default_store().is_absolute()
True
"""

from __future__ import annotations

import os
from pathlib import Path

#: the default result store, relative to the working directory
STORE = Path("results") / "diffbounds.sqlite"
#: the default figure folder, relative to the working directory
FIGURES = Path("figures") / "output"


def default_store() -> Path:
    """The default result store: ``$DIFFBOUNDS_STORE`` or ``./results/diffbounds.sqlite``.

    Returns
    -------
    pathlib.Path
        An absolute path (it may not exist yet).
    """
    return Path(os.environ.get("DIFFBOUNDS_STORE") or STORE).absolute()


def default_figures_dir() -> Path:
    """The default figure folder: ``$DIFFBOUNDS_FIGURES`` or ``./figures/output/``.

    Returns
    -------
    pathlib.Path
        An absolute path (created by the writer when needed).
    """
    return Path(os.environ.get("DIFFBOUNDS_FIGURES") or FIGURES).absolute()
