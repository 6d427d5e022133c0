"""TV vs N on log-log axes for every built-in sampler and the adapted diffusers schedulers,
with Lemma B.4's slope −½ drawn beside.

Data: exact 1-D laws, no Monte Carlo. Built-ins: ``claims.sampler_order.sampler_order`` on the
bimodal 1-D mixture (exponential schedule T = 6 → t_stop = 0.01, started from q_T, TV to
q_{t_stop}). diffusers schedulers (when the ``diffusers`` extra is installed): DDIM
(clip_sample=False), EulerDiscrete and DPMSolverMultistep with their default 1000-step training
schedules over K inference steps, exact push-forward laws on quantile nodes started from q at
the first timestep, TV to the data law (their output is at ᾱ = 1); DDPM (clip_sample=False)
by ``law1d.output_law`` of ``adapters.diffusers.DDPMGaussianStep``. Legend: the measured order
(−slope) with its 95% half-width. The Lemma B.4 guide line has slope −½ through the first
exponential-integrator point (its constant is not the ledger's: a slope guide only).
Quick size: lattice spacing 0.02 and 4001 quantile nodes (full: 0.01 and 16001); error bars
are the change at doubled spacing / halved node count. DPM-Solver's point at K = 160 is partly
an artefact of float32 rounding inside the scheduler, amplified by the push-forward's
derivative (it grows with the node count: full size 2.3e-4 where the sampler's TV is 1.5e-4;
``simulators.adapters.diffusers`` module docstring), so its legend order is fitted low.
"""

from __future__ import annotations

import numpy as np

from diffbounds.figures import _style

NAME = "sampler_orders"
CLAIMS = ()
COLUMNS = ("sampler", "N", "tv", "tv_uncertainty")
N_GRID = (20, 40, 80, 160, 320)
K_GRID = (10, 20, 40, 80, 160)


def _builtins(quick):
    from diffbounds.claims.sampler_order import sampler_order
    from diffbounds.simulators.samplers import BUILTINS

    out = {}
    for name in BUILTINS:
        r = sampler_order(name, N_grid=N_GRID, spacing=0.02 if quick else 0.01)
        out[name] = dict(x=np.asarray(r.N, float), tv=r.distance, unc=r.uncertainty,
                         order=r.order, half_width=r.order_half_width)
    return out


def _adapted(quick):
    try:
        import diffusers
    except ImportError:
        return {}
    from diffbounds.claims.sampler_order import BIMODAL_1D as mix
    from diffbounds.claims.verdict import loglog_slope
    from diffbounds.simulators.adapters import diffusers as A

    makers = {"diffusers DDIM": lambda: diffusers.DDIMScheduler(clip_sample=False),
              "diffusers Euler": diffusers.EulerDiscreteScheduler,
              "diffusers DPM-Solver++(2M)": diffusers.DPMSolverMultistepScheduler}
    nodes = 4001 if quick else 16001
    out = {}
    for label, make in makers.items():
        tv, unc = [], []
        for K in K_GRID:
            sch = make()
            T0 = A.scheduler_times(sch, K)[0]

            def run(z, sch=sch, K=K):
                return A.run_scheduler(sch, mix, z.shape[0], K, x_init=z)

            fine = A.pushforward_law(run, nodes=nodes, start=mix.at(T0)).tv(mix)
            coarse = A.pushforward_law(run, nodes=(nodes + 1) // 2, start=mix.at(T0)).tv(mix)
            tv.append(fine)
            unc.append(abs(fine - coarse))
        slope, half = loglog_slope(K_GRID, tv)
        out[label] = dict(x=np.asarray(K_GRID, float), tv=np.asarray(tv), unc=np.asarray(unc),
                          order=-slope, half_width=half)
    from diffbounds.simulators.law1d import output_law

    tv, unc = [], []
    spacing = 0.02 if quick else 0.01
    for K in K_GRID:  # DDPM: exact law of its Gaussian step (adapters.diffusers.DDPMGaussianStep)
        s = A.DDPMGaussianStep(diffusers.DDPMScheduler(clip_sample=False), K)
        laws = [output_law(mix, s.times, sampler=s, init=mix.at(float(s.times[0])),
                           grid={"spacing": h}).tv(mix) for h in (spacing, 2 * spacing)]
        tv.append(laws[0])
        unc.append(abs(laws[0] - laws[1]))
    slope, half = loglog_slope(K_GRID, tv)
    out["diffusers DDPM"] = dict(x=np.asarray(K_GRID, float), tv=np.asarray(tv),
                                 unc=np.asarray(unc), order=-slope, half_width=half)
    return out


def make(quick: bool = True, store: _style.StoreArg = None,
         outdir: _style.PathArg = None) -> dict[str, str]:
    """Render the figure and write ``NAME.{pdf,png,csv,json}`` (``_style.save``).

    Parameters
    ----------
    quick : bool
        Test size (a coarser grid and fewer quantile nodes).
    store : str, os.PathLike, None or False
        Unused: the data are exact laws computed here.
    outdir : str, os.PathLike or None
        Output folder; default ``$DIFFBOUNDS_FIGURES`` or ``./figures/output/``.

    Returns
    -------
    dict
        ``{"pdf": path, "png": path, "csv": path, "json": path}`` (str paths).
    """
    built = _builtins(quick)
    adapted = _adapted(quick)
    series = {**built, **adapted}
    with _style.style():
        fig = _style.figure("full", 3.0)
        ax = fig.subplots(1, 1)
        styles = [(c, "o-") for c in _style.PALETTE[:len(built)]]
        styles += [("black", "s--"), ("0.45", "^--"), ("0.65", "D--"), ("0.3", "v:")]
        for (label, s), (color, fmt) in zip(series.items(), styles, strict=False):
            ax.errorbar(s["x"], s["tv"], yerr=s["unc"], fmt=fmt, color=color, ms=3.5,
                        label=f"{label}: order {s['order']:.2f} $\\pm$ {s['half_width']:.2f}")
        ref = built["exponential_integrator"]
        guide = ref["tv"][0] * (ref["x"] / ref["x"][0]) ** -0.5
        ax.plot(ref["x"], guide, ":", color="0.25", label="Lem. B.4 slope $-1/2$ (guide)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        _style.plain_log_ticks(ax, "x", sorted(set(N_GRID) | set(K_GRID)))
        ax.set_xlabel("steps $N$ (built-ins) / inference steps $K$ (diffusers)")
        ax.set_ylabel(r"TV(output law, target) (exact score)")
        _style.legend_outside(fig, ax, loc="outside right center", ncols=1)
    caption = ("Measured TV order of every built-in sampler (against N) and of the adapted "
               "diffusers schedulers (against K) on the bimodal 1-D mixture "
               "0.5 N(-2, 0.25) + 0.5 N(1.5, 0.5), exponential schedule T = 6 to t_stop = 0.01, "
               "exact score, exact output laws (no Monte Carlo); the dotted line is Lemma B.4's "
               "slope -1/2, an upper bound on the order a first-order sampler must beat.")
    data = dict(sampler=[k for k, s in series.items() for _ in s["x"]],
                N=np.concatenate([s["x"] for s in series.values()]),
                tv=np.concatenate([s["tv"] for s in series.values()]),
                tv_uncertainty=np.concatenate([s["unc"] for s in series.values()]))
    prov = _style.provenance(
        NAME, caption=caption, statements=["gupta2024.lemma_b4"],
        source="exact laws computed at render time",
        parameters=dict(T=6.0, t_stop=0.01, N=list(N_GRID), K=list(K_GRID), d=1,
                        spacing=0.02 if quick else 0.01,
                        mixture=dict(weights=[0.5, 0.5], means=[-2.0, 1.5],
                                     variances=[0.25, 0.5])),
        seeds=None, orders={k: dict(order=s["order"], half_width=s["half_width"])
                            for k, s in series.items()})
    return _style.save(fig, NAME, data, prov, outdir)
