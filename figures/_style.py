"""One house style for every figure, and the writer of its four files.

Serif text from matplotlib's bundled fonts (STIX for maths, DejaVu Serif as fallback: no system
fonts needed), sized for the NeurIPS text width (single column, 5.5 in; half-width panels
2.7 in) so that figures print at 100 %: every font is at least ``MIN_FONT_PT`` = 7 pt at that
size. Legends go outside the axes (``legend_outside``), never over data; parameters go in the
caption (``provenance(caption=...)``, shown by the gallery), not in titles. Colours are the
Okabe–Ito colour-blind-safe palette. ``save`` writes ``NAME.pdf``, ``NAME.png``, ``NAME.csv``
(the plotted data) and ``NAME.json`` (provenance and caption) to the output folder.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import json
import os
import platform
import re
import subprocess
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

from diffbounds._paths import FIGURES as FIGURES_DIR
from diffbounds._paths import default_figures_dir
from diffbounds.claims.verdict import jsonable

#: the NeurIPS text width (the paper is single column) and a half-width panel, in inches
FULL = 5.5
HALF = 2.7
WIDTHS = {"full": FULL, "half": HALF}
#: the smallest font size at print size, in points
MIN_FONT_PT = 7.0

#: a figure's ``store`` argument: a path, None (the default store if it exists) or False (none)
StoreArg = str | os.PathLike | Literal[False] | None
#: a figure's ``outdir`` argument: a folder, or None for the default (``./figures/output/``)
PathArg = str | os.PathLike | None

#: Okabe & Ito (2008), "Color Universal Design": colour-blind-safe, print-safe order
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
PALETTE = [OKABE_ITO[k] for k in ("blue", "vermillion", "green", "orange", "purple", "sky",
                                  "black", "yellow")]

RC: dict[RcKeyType, Any] = {
    "font.family": "serif",
    "font.serif": ["STIXGeneral", "DejaVu Serif"],
    "mathtext.fontset": "stix",
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "figure.titlesize": 8,
    "axes.prop_cycle": cycler(color=PALETTE),
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.2,
    "lines.markersize": 4,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "axes.grid": True,
    "grid.linewidth": 0.3,
    "grid.alpha": 0.4,
    "legend.frameon": False,
    "figure.dpi": 150,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.hashsalt": "diffbounds",
}

PACKAGES = ("numpy", "scipy", "sympy", "matplotlib", "numba", "pot", "hypothesis")
#: the folder holding the package's source: the checkout's root in an editable install, the
#: installed ``diffbounds`` package otherwise (never written to)
REPO = Path(__file__).resolve().parent.parent
#: the default output folder, relative to the working directory (``diffbounds._paths``)
DEFAULT_OUTDIR = FIGURES_DIR


@contextlib.contextmanager
def style() -> Iterator[None]:
    """The house rc context (use around figure creation *and* saving).

    >>> import matplotlib as mpl
    >>> from diffbounds.figures import style
    >>> with style():
    ...     mpl.rcParams["legend.fontsize"] >= 7
    True
    """
    with mpl.rc_context(RC):
        yield


def figure(width: str | float = "full", height: float | None = None, **kwargs: Any) -> Figure:
    """A new figure (``matplotlib.figure.Figure``, no pyplot state) at print size.

    Parameters
    ----------
    width : {"full", "half"} or float
        ``"full"`` = the NeurIPS text width (5.5 in), ``"half"`` = a half-width panel (2.7 in),
        or a width in inches.
    height : float, optional
        Height in inches (default: 0.62 × width).
    **kwargs
        Passed to ``matplotlib.figure.Figure``.

    Returns
    -------
    matplotlib.figure.Figure
        With the constrained layout engine (so ``legend_outside`` can make room).

    Raises
    ------
    ValueError
        If ``width`` is neither a known name nor a positive number.

    Examples
    --------
    >>> from diffbounds.figures._style import figure
    >>> figure("half").get_size_inches().round(3).tolist()
    [2.7, 1.674]
    """
    if isinstance(width, str):
        if width not in WIDTHS:
            raise ValueError(f"width: one of {sorted(WIDTHS)} or inches, got {width!r}")
        w = WIDTHS[width]
    elif isinstance(width, (int, float)) and not isinstance(width, bool) and width > 0:
        w = float(width)
    else:
        raise ValueError(f"width: one of {sorted(WIDTHS)} or inches, got {width!r}")
    h = w * 0.62 if height is None else height
    return Figure(figsize=(w, h), layout="constrained", **kwargs)


#: where ``legend_outside`` may put a legend: beside the axes, never on them
OutsideLoc = Literal["outside lower center", "outside upper center", "outside right center",
                     "outside left center"]


def legend_outside(fig: Figure, axes: Any = None, *, loc: OutsideLoc = "outside lower center",
                   ncols: int | None = None) -> Any:
    """One figure legend outside every axes, so that it can cover no data.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure with the constrained layout engine (``figure`` makes one), which makes room.
    axes : Axes or sequence of Axes, optional
        Whose labelled artists to list (default: all axes); duplicate labels are dropped.
    loc : OutsideLoc
        One of matplotlib's ``"outside ..."`` locations.
    ncols : int, optional
        Columns (default: one row up to three entries, else two columns).

    Returns
    -------
    matplotlib.legend.Legend
    """
    handles: dict[str, Any] = {}
    for ax in (fig.axes if axes is None else np.atleast_1d(axes).ravel()):
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    n = len(handles)
    if ncols is None:
        ncols = n if n <= 3 else 2
    return fig.legend(handles=list(handles.values()), labels=list(handles), loc=loc, ncols=ncols)


def plain_log_ticks(ax: Any, axis: str = "x", values: Any = None) -> None:
    """Label a log axis with plain numbers ('%g'): at ``values`` (e.g. the grid) if given,
    else on decades and at 2 and 5 times them."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

    a = ax.xaxis if axis == "x" else ax.yaxis
    fmt = FuncFormatter(lambda v, _: f"{v:g}")
    if values is not None:
        a.set_major_locator(FixedLocator(sorted({float(v) for v in values})))
        a.set_major_formatter(fmt)
        a.set_minor_formatter(NullFormatter())
        return
    a.set_major_formatter(fmt)
    a.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    a.set_minor_formatter(fmt)


def statement_label(*keys) -> str:
    """Short names of statements for titles, e.g. 'Cor. B.6' for gupta2024.corollary_b6."""
    out = []
    for key in keys:
        paper, _, rest = key.partition(".")
        kind, _, num = rest.partition("_")
        num = re.sub(r"^([A-Z])(\d)", r"\1.\2", num.replace("_", ".").upper())
        abbrev = {"corollary": "Cor.", "lemma": "Lem.", "theorem": "Thm"}.get(kind)
        if abbrev and paper == "gupta2024":
            out.append(f"{abbrev} {num}")
        else:
            out.append(key)
    return ", ".join(out)


# ------------------------------------------------------------------------- provenance
def git_commit() -> str | None:
    """HEAD of the checkout, with '-dirty' when tracked files differ from it; None when the
    code is not running from a checkout (an installed wheel)."""
    if not (REPO / "pyproject.toml").is_file():
        return None
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=REPO, capture_output=True, text=True, timeout=10).stdout
        return head + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def versions() -> dict[str, str | None]:
    """Versions of Python and of the packages that shape a figure (None if not installed)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def provenance(name: str, *, parameters: dict, source: str | dict, seeds: Any = None,
               statements: Any = (), claim: str | list[str] | None = None,
               caption: str | None = None, **extra: Any) -> dict:
    """The JSON provenance of one figure: what was plotted, from where, with what, and its
    caption (the parameters a reader needs, kept out of the titles)."""
    return jsonable({
        "figure": name, "caption": caption, "claim": claim, "statements": list(statements),
        "source": source,
        "parameters": parameters, "seeds": seeds, "versions": versions(),
        "commit": git_commit(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"), **extra,
    })


# ------------------------------------------------------------------------- writing
def write_csv(path: str | os.PathLike, data: dict) -> None:
    """Columns of equal length (dict name -> sequence) as CSV; floats with full precision."""
    cols = {k: list(np.asarray(v).ravel()) if not isinstance(v, list) else v
            for k, v in data.items()}
    lengths = {len(v) for v in cols.values()}
    if len(lengths) != 1:
        raise ValueError(f"data: columns must have equal lengths, got "
                         f"{ {k: len(v) for k, v in cols.items()} }")
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(list(cols))
        for row in zip(*cols.values(), strict=True):
            w.writerow([_cell(v) for v in row])


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, (np.integer, np.bool_)):
        return int(v)
    return v


def save(fig: Figure, name: str, data: dict, provenance: dict, outdir: PathArg = None
         ) -> dict[str, str]:
    """Write ``NAME.{pdf,png,csv,json}`` into ``outdir``.

    The default folder is ``$DIFFBOUNDS_FIGURES`` or ``./figures/output/`` in the working
    directory (``diffbounds._paths.default_figures_dir``), never the installed package.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    name : str
        The file stem.
    data : dict
        Columns of the CSV (equal-length sequences).
    provenance : dict
        The JSON record (made JSON-safe).
    outdir : str, os.PathLike or None
        Output folder (created); default as above.

    Returns
    -------
    dict
        ``{"pdf": path, "png": path, "csv": path, "json": path}`` (str paths).
    """
    out = Path(outdir) if outdir is not None else default_figures_dir()
    out.mkdir(parents=True, exist_ok=True)
    paths = {ext: out / f"{name}.{ext}" for ext in ("pdf", "png", "csv", "json")}
    with style():
        fig.savefig(paths["pdf"], metadata={"CreationDate": None, "Creator": "diffbounds"})
        fig.savefig(paths["png"], metadata={"Software": "diffbounds"})
    write_csv(paths["csv"], data)
    with open(paths["json"], "w") as fh:
        json.dump(jsonable(provenance), fh, indent=2)
        fh.write("\n")
    return {k: str(v) for k, v in paths.items()}
