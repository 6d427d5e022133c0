"""Sampler throughput per backend and dtype (the standard workload of ``benchmarks.sampler``).

Read from a benchmark report (``diffbounds bench --json``; ``benchmarks/RESULTS.json`` when it
exists) or, failing that, measured now at a small size (quick: n = 2000, 20 steps, NumPy and
Numba CPU; otherwise n = 20 000, 200 steps, every available backend), one timed call each.
Bars: particle·component·steps per second; labels: speed-up over NumPy float64 per particle.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from diffbounds.figures import _style

NAME = "throughput"
COLUMNS = ("backend", "dtype", "n", "seconds", "throughput", "ratio_to_numpy")
#: the bundled report, package data of ``diffbounds.benchmarks`` (``benchmarks/`` is beside
#: ``figures/`` both in the checkout and in an installed wheel)
REPORT = Path(__file__).resolve().parent.parent / "benchmarks" / "RESULTS.json"


def _report(quick, report):
    if report is not None:
        path = Path(report)
        with open(path) as fh:
            return json.load(fh), f"report:{path}"
    if REPORT.exists():
        with open(REPORT) as fh:
            return json.load(fh), f"report:{REPORT}"
    from diffbounds.benchmarks import sampler

    if quick:
        rep = sampler.run(n=2000, n_steps=20, repeats=1, backends=["numpy", "cpu"],
                          progress=None)
    else:
        rep = sampler.run(repeats=1, progress=None)
    return rep, "quick run" if quick else "run"


def make(quick: bool = True, store: _style.StoreArg = None, outdir: _style.PathArg = None,
         report: str | os.PathLike | None = None) -> dict[str, str]:
    """Render the figure and write ``NAME.{pdf,png,csv,json}`` (``_style.save``).

    Parameters
    ----------
    quick : bool
        Without a report, measure a small workload (numpy and cpu backends).
    store : str, os.PathLike, None or False
        Unused: the data are a benchmark report.
    outdir : str, os.PathLike or None
        Output folder; default ``$DIFFBOUNDS_FIGURES`` or ``./figures/output/``.
    report : str, os.PathLike or None
        A ``diffbounds bench --json`` file; None for the bundled report, else a run.

    Returns
    -------
    dict
        ``{"pdf": path, "png": path, "csv": path, "json": path}`` (str paths).

    Raises
    ------
    OSError, ValueError
        ``report`` cannot be read or is not JSON.
    """
    rep, source = _report(quick, report)
    results = rep["results"]
    backends = list(dict.fromkeys(r["backend"] for r in results))
    dtypes = list(dict.fromkeys(r["dtype"] for r in results))
    by = {(r["backend"], r["dtype"]): r for r in results}
    w = rep["workload"]
    with _style.style():
        fig = _style.figure("half", 2.3)
        ax = fig.add_subplot()
        width = 0.8 / len(dtypes)
        for j, dt in enumerate(dtypes):
            xs, ys, ratios = [], [], []
            for i, b in enumerate(backends):
                if (b, dt) in by:
                    xs.append(i + (j - (len(dtypes) - 1) / 2) * width)
                    ys.append(by[b, dt]["throughput"])
                    ratios.append(by[b, dt].get("ratio_to_numpy"))
            bars = ax.bar(xs, ys, width, color=_style.PALETTE[j], label=dt)
            for bar, r in zip(bars, ratios, strict=True):
                if r is not None:
                    ax.annotate(f"×{r:.1f}", (bar.get_x() + bar.get_width() / 2,
                                              bar.get_height()),
                                textcoords="offset points", xytext=(0, 1.5), ha="center")
        ax.set_yscale("log")
        ax.set_xticks(range(len(backends)), backends)
        ax.set_xlabel("backend")
        ax.set_ylabel("particle·component·steps / s")
        ax.grid(axis="x", visible=False)
        tp = [r["throughput"] for r in results]
        ax.set_ylim(float(np.min(tp)) / 4, float(np.max(tp)) * 8)
        _style.legend_outside(fig, ax, loc="outside upper center", ncols=len(dtypes))
    data = {k: [r.get(k) for r in results] for k in COLUMNS}
    caption = (f"Sampler throughput per backend and dtype on the standard workload (n = {w['n']} "
               f"particles, d = {w['dim']}, K = {w['n_components']} components, N = "
               f"{w['n_steps']} steps); labels: speed-up over NumPy float64.")
    prov = _style.provenance(NAME, caption=caption, source=source, parameters=dict(workload=w),
                             seeds=dict(mixture=w.get("seed")), machine=rep.get("machine"),
                             benchmark_date=rep.get("date"), derived=rep.get("derived"))
    return _style.save(fig, NAME, data, prov, outdir)
