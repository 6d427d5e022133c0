"""Exact (grid) law of the 1-D DDPM sampler: Chapman–Kolmogorov on cells, no Monte Carlo.

Step k of the sampler (design.md, "Conventions"; paper-notes §2.4) is the Gaussian transition

    y′ | y ~ N(m_k(y), c_k²),   m_k(y) = a_k y + b_k ŝ(y, times[k]),

(a, b, c) = ``integrator_coefficients(times)[k]``, so the law of y′ is
p_{k+1}(y′) = ∫ p_k(y) φ_{c_k}(y′ − m_k(y)) dy. ``output_law`` propagates the law, started from
N(0, 1), through all N steps for any score model (``model(x, t)`` on (n, 1) arrays) and returns a
:class:`GridLaw`, whose ``tv``, ``w2`` and ``kl`` compare it with a 1-D GaussianMixture target
(typically ``mixture.at(t_stop)``; paper-notes §4 bounds TV(q_{t_stop}, p̂)).

Method (finite volumes on a uniform lattice of spacing Δ; cell j is [(j − ½)Δ, (j + ½)Δ]).
The law is stored as exact cell masses M_j. One step is two exact operations on a piecewise
polynomial reconstruction of the masses:

1. *Remap* through the mean map. Inside cell j the density is the parabola
   (M_j + S_j u + P_j (u² − 1/12))/Δ, u ∈ [−½, ½], whose averages over the cell and its two
   neighbours are their masses (third order; linear, limited to stay ≥ 0, where the parabola
   would go negative). The score is evaluated once per step at the 2G + 1 cell edges and
   centres and m_k is taken quadratic through those three values; cells where that fit is not
   smooth (a jump or kink of the score inside: |m_L − 2m_C + m_R| > ¼|m_R − m_L| + 1e-6 Δ) are
   halved, with one more score call on the flagged pieces per level, until smooth or 2⁻⁴⁰ Δ
   wide, so a discontinuous score error (paper-notes §1.1: large errors on a set of mass δ)
   is located to ~1e-12 Δ. The image of each piece is an interval of length |m′|·width centred
   at m's mean over the piece (m(centre) + m″width²/24), carrying the transported density; it
   is integrated exactly over the target cells (mass conserving; non-monotone maps are fine).
   Error: O(Δ⁴) in TV per step for smooth laws and maps (measured: 1.3e-8 for one shift of a
   Gaussian of SD 40Δ, 8e-10 at 80Δ).
2. *Convolve* with N(0, c_k²), a fixed kernel on the lattice (FFT when long). For c_k ≥ 2Δ it is
   Δφ_c(nΔ): cell masses are exact samples Δ(ν ⊛ U_Δ)(jΔ) of the smooth function ν ⊛ U_Δ, so this
   is the trapezoid rule for the target masses Δ(ν ⊛ φ_c ⊛ U_Δ)(jΔ), with aliasing error below
   2e^{−2π²c²/Δ²} < 1e-34. For c_k < 2Δ (fine schedules near t_stop; c ≪ Δ included) the kernel
   integrates each cell's parabola exactly against the Gaussian CDF of each target cell
   (closed form; the c → 0 limit is the identity). Kernels are cut at ±``truncation``·c_k
   (default 14: neglected mass < 2e-44 per cell).

Grid. Δ is fixed for the whole chain; each step's grid is the smallest lattice interval holding
every image plus the kernel's reach, then end cells with mass below ``mass_floor`` (default
1e-20) are trimmed. Trimmed mass, and mass that would need more than ``max_cells`` cells (the
mass-richest window is kept), is dropped and reported as ``GridLaw.lost_mass``: TV is exact up
to ± lost_mass / 2 plus the method error; W2 and KL are those of the renormalised grid law and
are refused (ValueError) above ``max_lost_mass`` (default 1e-12), since where the lost mass
went is unknown and both are unbounded in it.

Choice of Δ and measured method error. By default Δ = min(W / 4000, s_min / 64), W the width of
the start law's support (|y| ≤ 9.3 for N(0, 1)) and s_min the narrowest component SD of
q_{t_stop} when the score is an exact mixture score. On the reference cases (Gaussian targets,
where the chain's law is exactly N(mean_N, var_N) from ``gaussian_chain_moments``; uniform and
BBDD24-exponential schedules, N = 25–400, t_stop down to 1e-3, final steps with c_k down to
Δ/2) the TV between computed and exact output law is at most 3.5e-8 (N = 400, target SD 0.1),
and mean and variance agree to 1e-10. Errors add at most linearly over steps (each step is a
TV contraction), so N = 400 steps at 64 cells per SD stay below ~1e-7. For other cases, halve Δ
(``grid={"spacing": law.spacing / 2}``): the distances change by about the method error.
Implementation (issue 11 §3). A step touches only the live cells (M > 0): the mean map is
evaluated at their edges and centres (one score call on those points, plus one per refinement
level on the flagged pieces), and the first level, parabolas, segment images and deposit are one
compiled pass (``kernels.law1d_cpu``); long convolutions are overlap-adds that skip all-zero
blocks (the law is often a few far-apart lumps on a wide lattice) and reuse each c_k / Δ's
kernel spectrum. The arithmetic is that of ``_segments``/``_deposit``/``_convolve``; the
implementation before issue 11, kept as ``_output_law_reference``, gives the same law to
TV ~1e-14 (``tests/simulators/test_law1d_fast.py``).

Cost (one core; the Numba score kernel runs on one thread inside ``output_law``): the README
example (perturbed two-component mixture, N = 200, 430 k cells of which ~40% live) takes
2.9–3.5 s of CPU, against 19–25 s for the original implementation in the same process
(medians 6.7–7.7× at load 3–5 on 2 cores): ~15 ms per step, of which the score at ~300 k
points ~6 ms, the convolution ~4–5 ms, the remap and deposit ~3 ms; the perturbed score's
per-step parameters (``kernel_program``, its half-space thresholds) ~0.4 s once.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import fft as sp_fft
from scipy import signal, special

from diffbounds.simulators._progress import progress_bar
from diffbounds.simulators._validate import check_int, check_real
from diffbounds.simulators.mixture import GaussianMixture
from diffbounds.simulators.sampler import _check_step_sizes, _check_times, integrator_coefficients
from diffbounds.simulators.scores import CallableScore, KernelScore, MixtureScore, as_score_model

if TYPE_CHECKING:
    from collections.abc import Callable

    from diffbounds.simulators.samplers import SamplerLike

__all__ = ["GridLaw", "output_law"]

_DEFAULT_CELLS = 4000
#: initial law covered where its tails exceed mass_floor; for N(0, 1) that is |y| ≤ ~9.3
_DEFAULT_MASS_FLOOR = 1e-20
_DEFAULT_TRUNCATION = 14.0
_DEFAULT_MAX_CELLS = 2_000_000
#: automatic spacing: at least this many cells per standard deviation of the narrowest
#: component of q_{t_stop} (exact mixture scores only)
_CELLS_PER_SD = 64
#: kernel switch: trapezoid (sampled Gaussian) kernel for c ≥ _SAMPLED_KERNEL_MIN * Δ
_SAMPLED_KERNEL_MIN = 2.0
#: relative size below which FFT convolution output is rounding noise
_FFT_NOISE = 1e-15
#: overlap-add convolution when the kernel is at most 1/_OA_RATIO of the law's length
_OA_RATIO = 64
_GRID_KEYS = ("cells", "spacing", "truncation", "mass_floor", "max_cells")
#: Gauss–Legendre rule on [−½, ½] for the in-cell integrals of w2 and kl
_GL_U, _GL_W = np.polynomial.legendre.leggauss(6)
_GL_U, _GL_W = 0.5 * _GL_U, 0.5 * _GL_W
#: w2 and kl refuse laws with more lost mass than this (it is not known where it went)
_DEFAULT_MAX_LOST_MASS = 1e-12
_LOG_2PI = math.log(2.0 * math.pi)


# --------------------------------------------------------------------------- the grid law


@dataclass(frozen=True, eq=False)
class GridLaw:
    """A 1-D law given by its masses on the cells [(start + j ∓ ½) spacing], j = 0..G−1.

    Inside each cell the density is the limited linear reconstruction (M_j + S_j u)/Δ,
    u ∈ [−½, ½], S_j the centred difference of the masses clipped to |S_j| ≤ 2 M_j (see the
    module docstring); ``cdf``, ``quantile``, ``mean``, ``var``, ``w2`` and ``kl`` use it;
    ``mass`` and ``pdf`` are the cell values. ``lost_mass`` is mass known to be missing from
    the grid (1 − Σ mass up to rounding): ``tv`` counts it as ± lost_mass / 2; ``w2`` and
    ``kl`` (of the renormalised grid law) refuse a law whose lost mass exceeds their
    ``max_lost_mass``. Every distance treats the target's mass off the grid exactly (there
    p = 0), so targets wider than the grid are fine. Positions (``grid``, ``edges``,
    ``spacing``, ``quantile``, ``mean``, ``w2``) are in the units of the diffusion's state x.

    Made by :func:`output_law` (the sampler's output law) or :meth:`from_mixture`; the
    constructor takes the fields below, validates them and stores ``mass`` as a read-only
    float64 array (the instance is frozen); ``mass`` is copied, so the caller's array is left
    as it was.

    Parameters
    ----------
    mass : array_like, shape (G,)
        Cell masses M_j ≥ 0 (finite; G ≥ 1), j = 0..G−1; Σ mass = 1 − ``lost_mass`` for a
        probability law (not checked).
    spacing : float
        Lattice spacing Δ > 0 (finite).
    start : int
        Lattice index of cell 0: cell j is centred at (start + j) Δ.
    lost_mass : float, default 0.0
        Mass known to be missing from the grid, in [0, 1].

    Raises
    ------
    ValueError
        ``mass`` is not a non-empty 1-D array ("mass: expected a non-empty 1-D array, got
        shape ..."), has a negative or non-finite entry; ``spacing`` is not a finite real
        > 0; ``lost_mass`` is outside [0, 1] (each message begins with the field's name).
    TypeError
        ``spacing`` or ``lost_mass`` is not a real number (a bool is refused), or
        ``start`` is not an integer (bools refused).

    See Also
    --------
    output_law : the law of the 1-D sampler's output as a GridLaw.
    diffbounds.simulators.law_nd.ProductLaw : its d-dimensional counterpart.

    Examples
    --------
    >>> from diffbounds.simulators import GaussianMixture
    >>> from diffbounds.simulators.law1d import GridLaw
    >>> law = GridLaw.from_mixture(GaussianMixture([1.0], [[0.0]], 1.0))  # N(0, 1)
    >>> law.cells, law.start, round(law.spacing, 6), law.lost_mass < 1e-18
    (3821, -1910, 0.004668, True)
    >>> law.grid.shape, law.edges.shape, law.pdf.shape
    ((3821,), (3822,), (3821,))
    >>> GridLaw([0.25, 0.5, 0.25], 0.1, -1).edges.round(2).tolist()
    [-0.15, -0.05, 0.05, 0.15]
    """

    mass: np.ndarray
    spacing: float
    start: int
    lost_mass: float = 0.0

    def __post_init__(self):
        mass = np.array(self.mass, dtype=np.float64)  # a copy: the caller's array stays writable
        if mass.ndim != 1 or mass.size == 0:
            raise ValueError(f"mass: expected a non-empty 1-D array, got shape {mass.shape}")
        if not np.all(np.isfinite(mass)) or np.any(mass < 0):
            raise ValueError("mass: cell masses must be finite and >= 0")
        check_real("spacing", self.spacing, positive=True)
        if isinstance(self.start, bool) or not isinstance(self.start, numbers.Integral):
            raise TypeError(f"start: expected an integer, got {type(self.start).__name__}")
        if check_real("lost_mass", self.lost_mass) > 1:
            raise ValueError(f"lost_mass: must be in [0, 1], got {self.lost_mass!r}")
        mass.setflags(write=False)
        object.__setattr__(self, "mass", mass)
        object.__setattr__(self, "spacing", float(self.spacing))
        object.__setattr__(self, "start", int(self.start))
        object.__setattr__(self, "lost_mass", float(self.lost_mass))

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_mixture(cls, mixture: GaussianMixture, *, spacing: float | None = None,
                     cells: int = _DEFAULT_CELLS,
                     mass_floor: float = _DEFAULT_MASS_FLOOR) -> GridLaw:
        """Exact cell masses of a 1-D GaussianMixture (CDF differences) on the lattice of
        ``spacing`` (default: ``cells`` cells across its support), trimmed where the tails
        fall below ``mass_floor``.

        The support is [min_k (μ_k − z s_k), max_k (μ_k + z s_k)] with Φ(−z) = mass_floor / 2
        over the components of positive weight (each tail of the mixture beyond it holds at
        most mass_floor / 2); cells j = [(j − ½)Δ, (j + ½)Δ] of the lattice cover it.
        Cell masses are CDF differences left of the median and survival-function differences
        right of it (full relative precision in both tails); the mass outside the covered
        cells, and that of end cells with mass < ``mass_floor`` (trimmed), is ``lost_mass``.
        This is the start law of :func:`output_law` (N(0, 1) or its ``init``).

        Parameters
        ----------
        mixture : GaussianMixture
            A 1-D mixture (``dim == 1``).
        spacing : float, optional
            Lattice spacing Δ > 0, in the units of x. Default: the support's width divided
            by ``cells``.
        cells : int, default 4000
            Number of cells across the support when ``spacing`` is None (≥ 1; ignored, and
            not checked, when ``spacing`` is given). After trimming the law may hold fewer.
        mass_floor : float, default 1e-20
            Tail mass that sets the support (each side ≤ mass_floor / 2) and the trimming
            threshold for end cells; a real number in [0, 1) (:func:`output_law` allows
            [0, 1e-8] as ``grid['mass_floor']``).

        Returns
        -------
        GridLaw
            The cell masses of ``mixture``; ``lost_mass`` = its mass off the returned cells.

        Raises
        ------
        TypeError
            ``mixture`` is not a GaussianMixture ("mixture: expected a 1-D GaussianMixture,
            got ..."), or ``cells``/``spacing``/``mass_floor`` is not an integer/real number.
        ValueError
            ``mixture`` is not 1-D ("mixture: must be a 1-D GaussianMixture, got dim = d"),
            ``cells`` < 1, ``spacing`` is not finite and > 0, or ``mass_floor`` is outside
            [0, 1) (messages name the argument).

        Examples
        --------
        >>> from diffbounds.simulators import GaussianMixture
        >>> q = GaussianMixture([0.5, 0.5], [[-2.0], [2.0]], 0.25)
        >>> law = GridLaw.from_mixture(q, spacing=0.01)
        >>> law.spacing, law.cells, law.start, round(law.total_mass(), 12)
        (0.01, 1301, -650, 1.0)
        """
        _check_target("mixture", mixture)
        if check_real("mass_floor", mass_floor) >= 1:
            raise ValueError(f"mass_floor: must be in [0, 1), got {mass_floor!r}")
        lo, hi = _support(mixture, mass_floor)
        if spacing is None:
            cells = check_int("cells", cells, 1)
            spacing = (hi - lo) / cells
        spacing = _check_positive_real("spacing", spacing)
        j0 = math.floor(lo / spacing + 0.5)
        j1 = math.floor(hi / spacing + 0.5)
        edges = (np.arange(j0, j1 + 2) - 0.5) * spacing
        outside = float(mixture.cdf(edges[0]) + mixture.sf(edges[-1]))
        law = cls(_cell_masses(mixture, edges), spacing, j0, min(1.0, outside))
        return _trim(law, mass_floor)

    # -- geometry ----------------------------------------------------------------------------

    @property
    def cells(self) -> int:
        """Number of cells G."""
        return self.mass.size

    @property
    def grid(self) -> np.ndarray:
        """Cell centres, shape (G,)."""
        return (self.start + np.arange(self.cells)) * self.spacing

    @property
    def edges(self) -> np.ndarray:
        """Cell edges, shape (G + 1,)."""
        return (self.start + np.arange(self.cells + 1) - 0.5) * self.spacing

    @property
    def pdf(self) -> np.ndarray:
        """Cell-average density mass / spacing, shape (G,)."""
        return self.mass / self.spacing

    def total_mass(self) -> float:
        """Σ mass = 1 − lost_mass (up to rounding).

        Returns
        -------
        float
            The mass on the grid, in [0, 1] for a probability law.

        Examples
        --------
        >>> GridLaw([0.25, 0.5, 0.125], 0.1, 0, lost_mass=0.125).total_mass()
        0.875
        """
        return float(self.mass.sum())

    def _slopes(self) -> np.ndarray:
        return _slopes(self.mass)

    # -- distribution functions ----------------------------------------------------------------

    def cdf(self, x: ArrayLike) -> np.ndarray | np.float64:
        """P(X ≤ x) of the reconstruction (exact cell masses, linear density inside cells).

        Not normalised: the value rises from 0 left of the grid to ``total_mass()`` right of
        it (the lost mass is not placed anywhere). At every cell edge it is the exact
        cumulative cell mass; inside a cell it is the integral of the linear density
        (M_j + S_j u)/Δ, a quadratic in x.

        Parameters
        ----------
        x : array_like of float
            Points, in the units of the state, any shape; ±inf allowed.

        Returns
        -------
        numpy.float64 or numpy.ndarray
            The CDF at ``x``, same shape as ``x`` (a scalar for scalar ``x``).

        Raises
        ------
        TypeError
            ``x`` is not convertible to real numbers ("x: expected real numbers (...)").
        ValueError
            ``x`` contains NaN ("x: must not contain NaN").

        Examples
        --------
        >>> from diffbounds.simulators import GaussianMixture
        >>> law = GridLaw.from_mixture(GaussianMixture([1.0], [[0.0]], 1.0))  # N(0, 1)
        >>> float(law.cdf(0.0))
        0.5
        >>> law.cdf([-1.0, 1.0]).round(8)  # Φ(∓1) = 0.15865525, 0.84134475
        array([0.15865525, 0.84134475])
        """
        x = _real_array("x", x)
        M, S = self.mass, self._slopes()
        before = np.concatenate([[0.0], np.cumsum(M)])
        pos = x / self.spacing - (self.start - 0.5)  # in cells from the first edge
        j = np.clip(np.floor(pos), 0, self.cells - 1).astype(np.int64)
        u = np.clip(pos - j - 0.5, -0.5, 0.5)
        inside = M[j] * (u + 0.5) + 0.5 * S[j] * (u * u - 0.25)
        out = np.where(pos <= 0, 0.0, np.where(pos >= self.cells, before[-1], before[j] + inside))
        return out[()] if out.ndim == 0 else out

    def quantile(self, p: ArrayLike) -> np.ndarray | np.float64:
        """Inverse of ``cdf`` (normalised by the total mass): the smallest x with
        cdf(x) = p · total_mass.

        That is F⁻¹(p) of the grid law renormalised to mass 1 (the quantile function ``w2``
        uses), found per cell by solving the in-cell quadratic of ``cdf``. p = 0 gives the
        grid's left edge; p = 1 gives the first point where the cumulative cell mass reaches
        ``total_mass()`` in floating point, which lies left of the right edge when the last
        cells' masses are below the rounding of the running sum (for N(0, 1) from
        ``from_mixture``: 7.89, against the right edge at 8.92).

        Parameters
        ----------
        p : array_like of float
            Probabilities in [0, 1], any shape.

        Returns
        -------
        numpy.float64 or numpy.ndarray
            Quantiles in the units of the state, same shape as ``p`` (a scalar for scalar
            ``p``).

        Raises
        ------
        TypeError
            ``p`` is not convertible to real numbers ("p: expected real numbers (...)").
        ValueError
            ``p`` contains NaN ("p: must not contain NaN") or a value outside [0, 1] ("p:
            probabilities must lie in [0, 1]").

        Examples
        --------
        >>> from diffbounds.simulators import GaussianMixture
        >>> law = GridLaw.from_mixture(GaussianMixture([1.0], [[0.0]], 1.0))  # N(0, 1)
        >>> law.quantile([0.025, 0.975]).round(6)  # Φ⁻¹(0.975) = 1.959964
        array([-1.959964,  1.959964])
        >>> law.quantile(1.5)
        Traceback (most recent call last):
        ...
        ValueError: p: probabilities must lie in [0, 1]
        """
        p = _real_array("p", p)
        if np.any((p < 0) | (p > 1)):
            raise ValueError("p: probabilities must lie in [0, 1]")
        M, S = self.mass, self._slopes()
        before = np.concatenate([[0.0], np.cumsum(M)])
        target = p * before[-1]
        j = np.clip(np.searchsorted(before, target, side="left") - 1, 0, self.cells - 1)
        rem = target - before[j]
        u = _solve_in_cell(M[j], S[j], rem)
        out = (self.start + j + u) * self.spacing
        return out[()] if out.ndim == 0 else out

    def mean(self) -> float:
        """E X of the reconstruction: Σ M_j x_j + Δ Σ S_j / 12, over the total mass.

        Exact for the linear in-cell densities (x_j the cell centres); the mean of the grid
        law renormalised to mass 1.

        Returns
        -------
        float
            The mean, in the units of the state.

        Examples
        --------
        >>> from diffbounds.simulators import GaussianMixture
        >>> law = GridLaw.from_mixture(GaussianMixture([1.0], [[0.5]], 4.0))  # N(0.5, 4)
        >>> round(law.mean(), 10)
        0.5
        """
        M, S = self.mass, self._slopes()
        tot = M.sum()
        return float((M @ self.grid + self.spacing * S.sum() / 12.0) / tot)

    def var(self) -> float:
        """Var X of the reconstruction: Σ M_j ((x_j − m)² + Δ²/12) + Δ Σ S_j (x_j − m) / 6.

        Exact for the linear in-cell densities, over the total mass (the variance of the
        grid law renormalised to mass 1; m = ``mean()``).

        Returns
        -------
        float
            The variance, in squared units of the state.

        Examples
        --------
        >>> from diffbounds.simulators import GaussianMixture
        >>> law = GridLaw.from_mixture(GaussianMixture([1.0], [[0.5]], 4.0))  # N(0.5, 4)
        >>> round(law.var(), 10)
        4.0
        """
        M, S = self.mass, self._slopes()
        tot = M.sum()
        m = self.mean()
        dx = self.grid - m
        return float((M @ (dx * dx) + self.spacing**2 * tot / 12.0
                      + self.spacing * (S @ dx) / 6.0) / tot)

    # -- distances to a 1-D GaussianMixture ------------------------------------------------

    def _target_cells(self, target):
        """(Q_j, mass of the target left of the grid, right of the grid)."""
        edges = self.edges
        return _cell_masses(target, edges), float(target.cdf(edges[0])), float(
            target.sf(edges[-1]))

    def _check_lost_mass(self, what, max_lost_mass):
        max_lost_mass = check_real("max_lost_mass", max_lost_mass)
        if not 0.0 <= max_lost_mass <= 1.0:
            raise ValueError(f"max_lost_mass: must be in [0, 1], got {max_lost_mass!r}")
        if self.lost_mass > max_lost_mass:
            raise ValueError(
                f"{what}: the law has lost_mass = {self.lost_mass:.3g} > max_lost_mass = "
                f"{max_lost_mass:.3g}; where that mass went is unknown, so {what} of the law is "
                f"not determined by the grid (it can be anything from the renormalised grid "
                f"law's value upwards for a far-away loss). Use a larger grid "
                f"(grid={{'max_cells': ...}}, a smaller 'mass_floor') or pass max_lost_mass "
                f"to accept the renormalised grid law's value knowingly")

    def tv_lower_bound(self, target: GaussianMixture) -> float:
        """½ Σ_j |M_j − Q(cell_j)| + ½ Q(outside the grid): TV between the laws coarsened to
        the cells, a lower bound on TV(p, q) (data processing) up to ± lost_mass / 2.

        Q(cell_j) are the target's exact cell masses (CDF/survival differences), so the only
        error is the lost mass; :meth:`tv` adds back what coarsening loses where p − q changes
        sign inside a cell.

        Parameters
        ----------
        target : GaussianMixture
            A 1-D mixture q (typically ``mixture.at(t_stop)``); any width (its mass off the
            grid is counted exactly).

        Returns
        -------
        float
            The coarsened TV, dimensionless (≤ ``tv(target)`` up to rounding).

        Raises
        ------
        TypeError
            ``target`` is not a GaussianMixture ("target: expected a 1-D GaussianMixture,
            got ...").
        ValueError
            ``target`` is not 1-D ("target: must be a 1-D GaussianMixture, got dim = d").

        Examples
        --------
        >>> from diffbounds.simulators import GaussianMixture
        >>> law = GridLaw.from_mixture(GaussianMixture([1.0], [[0.0]], 1.0))  # N(0, 1)
        >>> q = GaussianMixture([1.0], [[0.1]], 1.0)  # N(0.1, 1)
        >>> round(law.tv_lower_bound(q), 6), law.tv_lower_bound(q) <= law.tv(q)
        (0.039878, True)
        """
        _check_target("target", target)
        Q, q_left, q_right = self._target_cells(target)
        return float(0.5 * (np.abs(self.mass - Q).sum() + q_left + q_right))

    def tv(self, target: GaussianMixture) -> float:
        """TV(p, q) = ½ ∫ |p − q| for the 1-D GaussianMixture ``target``.

        The cell differences d_j = M_j − Q(cell_j) are exact integrals of p − q; inside each
        cell p − q is taken linear with mean d_j/Δ and the centred-difference slope, and
        ½ ∫ |·| is integrated exactly. This equals ``tv_lower_bound`` except in cells where
        p − q changes sign, where it recovers the O(Δ²) per crossing that coarsening loses
        (error O(Δ³ |(p − q)″|) per crossing); ± lost_mass / 2 for mass off the grid.

        Off the grid p = 0, so p − q = −q there: its TV contribution is exactly
        ½ Q(outside the grid), and the end cells' slopes use the target's masses in the
        (virtual) cells just outside the grid, −Q(cell −1) and −Q(cell G) — never the whole
        off-grid tail, which would fake a sign change of p − q in an end cell when the target
        is wider than the grid (e.g. a narrow output law against a wide q_{t_stop}).

        This is the distance of Lemma 1.3 / Theorem B.7 (paper-notes §4: TV(q_γ, p̂), with
        ``target`` = q_{t_stop}) for the law that :func:`output_law` computes.

        Parameters
        ----------
        target : GaussianMixture
            A 1-D mixture q (typically ``mixture.at(t_stop)``); any width (its mass off the
            grid is counted exactly).

        Returns
        -------
        float
            TV(p, q) in [0, 1] (clipped at 1), dimensionless; exact up to ± lost_mass / 2
            plus the method error above.

        Raises
        ------
        TypeError
            ``target`` is not a GaussianMixture ("target: expected a 1-D GaussianMixture,
            got ...").
        ValueError
            ``target`` is not 1-D ("target: must be a 1-D GaussianMixture, got dim = d").

        Examples
        --------
        >>> from diffbounds.simulators import GaussianMixture
        >>> law = GridLaw.from_mixture(GaussianMixture([1.0], [[0.0]], 1.0))  # N(0, 1)
        >>> q = GaussianMixture([1.0], [[0.1]], 1.0)  # N(0.1, 1)
        >>> round(law.tv(q), 8)  # exact: 2Φ(0.05) − 1 = 0.0398776117
        0.03987761
        """
        _check_target("target", target)
        outer = (self.start + np.arange(-1, self.cells + 2) - 0.5) * self.spacing
        Q_ext = _cell_masses(target, outer)  # cells −1 .. G
        Q = Q_ext[1:-1]
        q_left, q_right = float(target.cdf(outer[1])), float(target.sf(outer[-2]))
        d = self.mass - Q
        padded = np.concatenate([[-Q_ext[0]], d, [-Q_ext[-1]]])
        s = 0.5 * (padded[2:] - padded[:-2])
        ad, as_ = np.abs(d), np.abs(s)
        crossing = as_ > 2.0 * ad
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = np.where(crossing, (d * d + 0.25 * s * s) / np.where(crossing, as_, 1.0),
                              ad)
        return float(min(1.0, 0.5 * (inside.sum() + q_left + q_right)))

    def _nodes(self):
        """Gauss–Legendre nodes in every cell: x and the density · Δ there."""
        M, S = self.mass, self._slopes()
        u = _GL_U[None, :]
        x = self.grid[:, None] + u * self.spacing
        return x, np.maximum(M[:, None] + S[:, None] * u, 0.0)

    def w2(self, target: GaussianMixture, *,
           max_lost_mass: float = _DEFAULT_MAX_LOST_MASS) -> float:
        """W2(p, q) = (∫₀¹ |F⁻¹(u) − G⁻¹(u)|² du)^{1/2} by quantile functions.

        [0, 1] is cut at the CDF values of both laws at every cell edge, so that on each piece
        both quantile functions stay inside one cell (smooth even where q is tiny between
        modes); each piece gets 3-point Gauss–Legendre in u. u > ½ is done as the lower half of
        the reflected laws (u → 1 − u), so both tails keep full precision. F⁻¹ inverts the
        reconstruction, G⁻¹ is ``target.quantile``. Targets wider than the grid are fine (the
        cuts at G's values at the grid's edges isolate the tails of G⁻¹).

        Lost mass: the grid holds 1 − ``lost_mass``; F⁻¹ is that of the grid law renormalised
        to mass 1. Where the lost mass went is unknown and W2 is not continuous in it (mass ℓ
        moved a distance R changes W2² by up to ℓR²), so the value is returned only when
        ``lost_mass ≤ max_lost_mass`` (default 1e-12: trimming at the default ``mass_floor``
        loses ~1e-18); otherwise ValueError — pass a larger ``max_lost_mass`` to accept the
        renormalised law's W2 knowingly.

        Parameters
        ----------
        target : GaussianMixture
            A 1-D mixture q (typically ``mixture.at(t_stop)``); any width (its mass off the
            grid is counted exactly).
        max_lost_mass : float, default 1e-12
            The largest ``lost_mass`` for which the value is returned, in [0, 1].

        Returns
        -------
        float
            W2(p, q) ≥ 0 (not squared), in the units of the state.

        Raises
        ------
        TypeError
            ``target`` is not a GaussianMixture ("target: expected a 1-D GaussianMixture,
            got ..."), or ``max_lost_mass`` is not a real number.
        ValueError
            ``target`` is not 1-D ("target: must be a 1-D GaussianMixture, got dim = d");
            ``max_lost_mass`` is not finite or outside [0, 1]; or the law's ``lost_mass``
            exceeds ``max_lost_mass`` ("w2: the law has lost_mass = ... > max_lost_mass =
            ...; where that mass went is unknown, ..."), raised before any quadrature.

        Examples
        --------
        >>> from diffbounds.simulators import GaussianMixture
        >>> law = GridLaw.from_mixture(GaussianMixture([1.0], [[0.0]], 1.0))  # N(0, 1)
        >>> q = GaussianMixture([1.0], [[0.1]], 1.0)  # N(0.1, 1)
        >>> round(law.w2(q), 10)  # exact: the shift 0.1
        0.1
        """
        _check_target("target", target)
        self._check_lost_mass("w2", max_lost_mass)
        reflected = GridLaw(self.mass[::-1], self.spacing, -(self.start + self.cells - 1))
        target_r = GaussianMixture(np.array(target.weights), -target.means,
                                   np.array(target.eigvals[:, 0]))
        w2sq = _w2sq_lower_half(self, target) + _w2sq_lower_half(reflected, target_r)
        return math.sqrt(max(w2sq, 0.0))

    def kl(self, target: GaussianMixture, *,
           max_lost_mass: float = _DEFAULT_MAX_LOST_MASS) -> float:
        """KL(p ‖ q) = ∫ p log(p / q), per cell by 6-point Gauss–Legendre on the linear
        reconstruction (O(Δ⁴) for smooth p), with log q from ``target.logpdf`` (any target
        width: only p's support enters).

        Lost mass: p is the grid law renormalised to mass 1. The law's true KL differs by an
        amount that depends on where the lost mass ℓ went (unbounded as it goes where q is
        tiny), so the value is returned only when ``lost_mass ≤ max_lost_mass`` (default
        1e-12); otherwise ValueError — pass a larger ``max_lost_mass`` to accept the
        renormalised law's KL knowingly.

        Parameters
        ----------
        target : GaussianMixture
            A 1-D mixture q (typically ``mixture.at(t_stop)``); any width (its mass off the
            grid is counted exactly).
        max_lost_mass : float, default 1e-12
            The largest ``lost_mass`` for which the value is returned, in [0, 1].

        Returns
        -------
        float
            KL(p ‖ q) ≥ 0 in nats (a negative quadrature result is clipped to 0).

        Raises
        ------
        TypeError
            ``target`` is not a GaussianMixture ("target: expected a 1-D GaussianMixture,
            got ..."), or ``max_lost_mass`` is not a real number.
        ValueError
            ``target`` is not 1-D ("target: must be a 1-D GaussianMixture, got dim = d");
            ``max_lost_mass`` is not finite or outside [0, 1]; or the law's ``lost_mass``
            exceeds ``max_lost_mass`` ("kl: the law has lost_mass = ... > max_lost_mass =
            ...; where that mass went is unknown, ..."), raised before any quadrature.

        Examples
        --------
        >>> from diffbounds.simulators import GaussianMixture
        >>> law = GridLaw.from_mixture(GaussianMixture([1.0], [[0.0]], 1.0))  # N(0, 1)
        >>> q = GaussianMixture([1.0], [[0.1]], 1.0)  # N(0.1, 1)
        >>> round(law.kl(q), 10)  # exact: 0.1² / 2
        0.005
        """
        _check_target("target", target)
        self._check_lost_mass("kl", max_lost_mass)
        x, dens = self._nodes()
        tot = self.mass.sum()
        w = np.broadcast_to(_GL_W, dens.shape)
        keep = dens > 0
        logp = np.log(dens[keep] / (tot * self.spacing))
        logq = target.logpdf(x[keep])
        val = float(np.sum(w[keep] * dens[keep] / tot * (logp - logq)))
        return max(val, 0.0)


_GL3_U, _GL3_W = np.polynomial.legendre.leggauss(3)


def _w2sq_lower_half(law: GridLaw, target) -> float:
    """∫_0^½ (F⁻¹(u) − G⁻¹(u))² du, pieces cut at both laws' CDF values at the cell edges."""
    M = law.mass / law.mass.sum()
    Fp = np.concatenate([[0.0], np.cumsum(M)])
    Fq = np.asarray(target.cdf(law.edges))
    cuts = np.unique(np.concatenate([[0.0, 0.5], Fp[Fp < 0.5], Fq[Fq < 0.5]]))
    lo, hi = cuts[:-1], cuts[1:]
    half = 0.5 * (hi - lo)
    u = (0.5 * (lo + hi))[:, None] + half[:, None] * _GL3_U[None, :]
    w = half[:, None] * _GL3_W[None, :]
    # F⁻¹(u): cell j with Fp[j] < u <= Fp[j+1], then the in-cell quadratic
    j = np.clip(np.searchsorted(Fp, u, side="left") - 1, 0, law.cells - 1)
    S = _slopes(M)
    xp = (law.start + j + _solve_in_cell(M[j], S[j], u - Fp[j])) * law.spacing
    xq = target.quantile(u)
    return float(np.sum(w * (xp - xq) ** 2))


# --------------------------------------------------------------------------- propagation


def output_law(score: GaussianMixture | KernelScore | Callable[..., Any], times: ArrayLike, *,
               grid: int | dict[str, Any] | None = None, init: GaussianMixture | None = None,
               progress: bool = False, sampler: SamplerLike = None) -> GridLaw:
    """Law of the 1-D sampler's output at ``times[-1]`` (no Monte Carlo; module docstring).

    Propagates the law of the DDPM chain (paper eq. (13), App. B; paper-notes §2.4), started
    from N(0, 1) or ``init``, through the N = len(times) − 1 Gaussian steps
    y′ | y ~ N(m_k(y), c_k²) on a fixed lattice (finite volumes: exact remap through the mean
    map m_k, exact convolution with N(0, c_k²)). Comparing the result with
    ``mixture.at(t_stop)`` by :meth:`GridLaw.tv` measures the TV of Lemma 1.3 / Theorem B.7
    (paper-notes §4) without sampling error. Method error: TV ≤ 3.5e-8 against the exact law
    on the reference cases with the default grid (module docstring, "Choice of Δ").

    Parameters
    ----------
    score : GaussianMixture, score model or callable
        A 1-D GaussianMixture (its exact score), a 1-D score model (``model(x, t)`` on (n, 1)
        arrays, e.g. ``MixtureScore``) or any callable ``f(x, t) -> (n, 1)``. Kernel score
        models (mixtures, ``perturbed_score``, ...) are evaluated by the compiled CPU kernel
        of their family (the same step math as ``sample(..., backend="cpu")``; it agrees
        with ``model(x, t)`` to rounding); other callables are called as they are, with x of
        shape (n, 1) float64 and t a float. The score is evaluated only at the edges and
        centres of cells that hold mass (and at the refinement points).
    times : array_like, shape (N + 1,)
        Strictly decreasing diffusion times T = times[0] > ... > times[-1] = t_stop ≥ 0;
        step k uses the score at ``times[k]`` (exactly as ``simulators.sample``).
    grid : None, int or dict, optional
        None (automatic), an int (``cells``) or a dict with any of
        ``cells`` (int ≥ 16, default 4000: the spacing is the start law's support [where its
        tails exceed ``mass_floor``] divided by ``cells``; for an exact mixture score also at
        most s_min / 64, s_min the narrowest component SD of q_{t_stop}),
        ``spacing`` (float > 0, the lattice spacing Δ itself; excludes ``cells``),
        ``truncation`` (float in [6, 40], default 14: Gaussian kernels cut at
        ± truncation·c_k), ``mass_floor`` (float in [0, 1e-8], default 1e-20: end cells below
        it are trimmed), ``max_cells`` (int ≥ 16, default 2_000_000: the largest grid; mass
        beyond it is lost).
    init : GaussianMixture, optional
        1-D law to start from instead of N(0, 1).
    progress : bool, default False
        Show a tqdm bar over the steps (no-op without tqdm). Numba parallel regions run on
        one thread inside this function.
    sampler : None, str or Sampler, optional
        None or "exponential_integrator" (default: the paper's step, the path above,
        unchanged), any built-in name of ``simulators.samplers.BUILTINS`` or a
        ``samplers.Sampler`` of the Gaussian-step form x′ = m_k(x) + c_k ξ. Step k then
        remaps the cells through ``sampler.mean_map`` (its score calls at times[k] use the
        compiled program of step k as above; calls at other times — Heun's at times[k+1] —
        use the program of that step, or ``model(x, t)`` at times[-1]) and convolves with
        N(0, c_k²), c_k from ``sampler.noise_scales``; deterministic samplers (c_k = 0) skip
        the convolution, so their law is the exact push-forward up to the remap's O(Δ⁴)
        error per step.

    Returns
    -------
    GridLaw
        Cell masses on the lattice of the fixed spacing Δ (``law.spacing``), in the units of
        the state; ``lost_mass`` reports mass trimmed or thrown off the grid (the sum over
        the steps, at most 1).

    Raises
    ------
    TypeError
        ``score`` neither a GaussianMixture, a score model nor callable; ``times`` not real
        numbers; ``grid`` not None, an int or a dict, or an option of the wrong type;
        ``init`` not a GaussianMixture; ``sampler`` neither a known form nor a
        callable step (the messages name the argument, e.g. ``grid['mass_floor']``).
    ValueError
        Before any step runs: an unknown built-in ``sampler`` name, or a ``sampler`` not of
        the Gaussian-step form (a plain callable step, multistep methods with history:
        "sampler: ... is not of the form x′ = m_k(x) + c_k ξ ..."; use Monte Carlo,
        ``simulators.sample``, for those) or whose ``noise_scales`` are not N finite values
        ≥ 0; bad ``times`` (not 1-D with ≥ 2 entries, not finite, not strictly decreasing,
        t_stop < 0, or a step whose coefficients overflow float64); an unknown or
        out-of-range ``grid`` option, or both ``cells`` and ``spacing``; ``init`` or
        ``score`` not 1-D. During the steps: a score (or a sampler's ``mean_map``) returning
        a wrong shape or non-finite values (the message names the step and t); all mass
        thrown off a capped grid ("grid: no mass is left on the grid ...").

    See Also
    --------
    GridLaw.tv, GridLaw.w2, GridLaw.kl : distances of the result to a 1-D mixture.
    diffbounds.simulators.law_nd.output_law : the d-dimensional collinear isotropic family.
    diffbounds.simulators.sample : the Monte Carlo sampler whose law this is.

    Notes
    -----
    No doctest here: the first call compiles the Numba kernels of ``kernels.law1d_cpu``
    (tens of seconds). As in the README ("In Python") and :doc:`/own_score_model`::

        from diffbounds.simulators import GaussianMixture, perturbed_score, schedule
        from diffbounds.simulators.law1d import output_law

        mix = GaussianMixture([0.5, 0.5], [[-2.0], [1.5]], [0.25, 0.5])
        score = perturbed_score(mix, eps=0.05, delta=1e-3, bad_magnitude=1e3)
        times = schedule.exponential(T=6.0, t_stop=1e-2, n_steps=200)
        law = output_law(score, times)   # GridLaw, ~3 s on one core
        law.tv(mix.at(1e-2))             # TV(q_{t_stop}, p̂), no sampling error
    """
    from diffbounds.simulators import samplers as _samplers

    if not _samplers.is_default(sampler):
        smp = _samplers.get_sampler(sampler)
        if not getattr(smp, "gaussian_step", False):
            raise ValueError(
                f"sampler: {smp!r} is not of the form x′ = m_k(x) + c_k ξ with a deterministic "
                "mean map (a plain step callable, or a method carrying history or injecting "
                "noise between stages), so its exact law is not computed here; estimate it by "
                "Monte Carlo with simulators.sample(..., sampler=...)")
        return _output_law_generic(smp, score, times, grid, init, progress)
    model, times, init, opts = _check_args(score, times, grid, init)
    coefs = integrator_coefficients(times)
    law = GridLaw.from_mixture(init, spacing=opts["spacing"], mass_floor=opts["mass_floor"])
    lost = law.lost_mass
    M, start, dx = np.array(law.mass), law.start, law.spacing
    score_at = _score_evaluator(model, times)
    from diffbounds.simulators.kernels import law1d_cpu
    from diffbounds.simulators.kernels.cpu import serial_scores

    cache: dict = {}  # kernels and their spectra, reused across steps
    with progress_bar(progress, len(coefs), desc="output_law") as bar, serial_scores():
        for k, (a, b, c) in enumerate(coefs):
            t = float(times[k])

            def mean_map(x, k=k, t=t, a=a, b=b):
                s = score_at(x, k, t)
                if s.shape != (x.size, 1):
                    raise ValueError(f"score: returned shape {s.shape} at step {k} (t = {t}), "
                                     f"expected {(x.size, 1)}")
                m, finite = law1d_cpu.mean_map(x, s[:, 0], a, b)  # a x + b s, one pass
                if not finite:
                    raise ValueError(f"score: returned non-finite values at step {k} (t = {t})")
                return m

            M, start, lost_k = _step_law(M, start, dx, mean_map, c, opts, cache)
            lost += lost_k
            bar.update(1)
    return GridLaw(M, dx, start, min(1.0, lost))


def _step_law(M, start, dx, mean_map, c, opts, cache=None):
    """One step of the exact law: remap the cell masses through ``mean_map`` (m_k), convolve
    with N(0, c²) (c = c_k; none for c = 0), trim below the mass floor. Returns the new
    (masses, start) and the mass lost in this step.

    The arithmetic is that of ``_segments``, ``_deposit``, ``_convolve`` and ``_trim`` (which
    ``_step_law_reference`` runs as they are); what differs is where it runs: the mean map is
    evaluated only at the edges and centres of live cells (M > 0; dead cells carry nothing and
    were dropped after evaluation before), the first level, the parabolas, the segment images
    and the deposit are one compiled pass over the live cells (``kernels.law1d_cpu``), long
    convolutions skip the all-zero blocks of the overlap-add and reuse the kernel's spectrum
    across steps with the same c_k / Δ (``cache``: a dict kept for one chain), and the trim is
    one compiled pass. The law equals the reference's up to summation order and FFT rounding
    (measured: TV ~1e-14 on the README example).
    """
    from diffbounds.simulators.kernels import law1d_cpu as lc

    if cache is None:
        cache = {}
    cell, iL, pts = lc.live_points(M, start, dx)
    if cell.size == 0:
        raise ValueError("grid: no mass is left on the grid (all of it was thrown off a capped "
                         "grid); use a larger grid['max_cells']")
    m = mean_map(pts)
    kink_abs = _KINK_ABS * dx
    mL, mC, mR, flag, lo, hi = lc.first_level_live(iL, m, _KINK, kink_abs, dx)
    flagged = np.flatnonzero(flag)
    ref = _refine(cell[flagged], mL[flagged], mC[flagged], mR[flagged], start, dx, mean_map,
                  lc)
    lo_r, hi_r = lc.image_range(*ref[1:], dx)
    lo, hi = min(lo, lo_r), max(hi, hi_r)
    j0 = math.floor(float(lo) + 0.5)
    j1 = math.floor(float(hi) + 0.5)
    reach = math.ceil(opts["truncation"] * c / dx) + 1
    if j1 - j0 + 1 + 2 * reach > opts["max_cells"]:
        # the capped grid keeps the mass-richest window: the segment-array path, unchanged
        smooth = ~flag
        n_smooth = int(smooth.sum())
        parts = [(cell[smooth], np.zeros(n_smooth), np.ones(n_smooth), mL[smooth],
                  mC[smooth], mR[smooth]), ref]
        seg = {name: np.concatenate([p_[i] for p_ in parts])
               for i, name in enumerate(("cell", "u0", "h", "mL", "mC", "mR"))}
        seg["_M"], (seg["_S"], seg["_P"]) = M, lc.parabolas(M)
        out, j0, lost_k = _deposit(seg, float(M.sum()), dx, c, opts, compiled=lc)
    else:
        out, _ = lc.remap_deposit(M, cell, mL, mC, mR, flag, *ref, j0, j1 - j0 + 1, dx)
        lost_k = 0.0
    out, start = _convolve_cached(out, j0, dx, c, opts["truncation"], cache)
    i0, i1, dropped = lc.trim_range(out, opts["mass_floor"])
    return out[i0:i1], start + i0, lost_k + min(1.0, dropped)


def _refine(cell, mL, mC, mR, start, dx, mean_map, compiled):
    """The refinement levels of ``_segments`` (compiled branch) for the flagged first-level
    cells: halve them, then halve again the pieces still flagged, up to depth ``_MAX_DEPTH``
    (one compiled ``split_level`` and one map call per level). Returns the final segments
    (cell, u0, h, mL, mC, mR), concatenated in level order."""
    f = np.vstack([np.zeros(cell.size), np.ones(cell.size), mL, mC, mR])
    if cell.size == 0:
        return (cell, *f)
    kink_abs = _KINK_ABS * dx
    # the first-level cells given are all flagged: halve every one (a test that always fails)
    _, _, cell, f, pts, _ = compiled.split_level(cell, f, -1.0, -1.0, start, dx)
    f[3] = mean_map(pts)
    done = []
    for depth in range(1, _MAX_DEPTH + 1):
        if depth == _MAX_DEPTH:
            done.append((cell, f))
            break
        keep_cell, keep_f, new_cell, new_f, pts, n_flagged = compiled.split_level(
            cell, f, _KINK, kink_abs, start, dx)
        if n_flagged == 0:
            done.append((cell, f))
            break
        done.append((keep_cell, keep_f))
        cell, f = new_cell, new_f
        f[3] = mean_map(pts)
    f = np.concatenate([d[1] for d in done], axis=1)
    return (np.concatenate([d[0] for d in done]), *f)


def _step_law_reference(M, start, dx, mean_map, c, opts):
    """One step as the code before issue 11 did it (NumPy ``_segments``, ``_parabolas``,
    ``_deposit``; ``_convolve`` with one long FFT; ``_trim``): the reference that
    ``_output_law_reference``, the equality tests and ``diffbounds bench`` compare with."""
    seg = _segments(M, start, dx, mean_map)
    seg["_M"], (seg["_S"], seg["_P"]) = M, _parabolas(M)
    M, start, lost_k = _deposit(seg, float(M.sum()), dx, c, opts)
    M, start = _convolve(M, start, dx, c, opts["truncation"], conv=_conv_reference)
    law = _trim(GridLaw(M, dx, start, 0.0), opts["mass_floor"])
    return np.array(law.mass), law.start, lost_k + law.lost_mass


def _output_law_reference(score, times, *, grid=None, init=None, sampler=None) -> GridLaw:
    """``output_law`` as it was before issue 11 §3 (the original implementation, kept as the
    reference of the equality tests and of ``diffbounds bench``): every step through
    ``_step_law_reference`` with the score model called as ``model(x[:, None], t)`` (NumPy) at
    all 2G + 1 lattice points. Same arguments as ``output_law``; no progress bar."""
    from diffbounds.simulators import samplers as _samplers

    model, times, init, opts = _check_args(score, times, grid, init)
    law = GridLaw.from_mixture(init, spacing=opts["spacing"], mass_floor=opts["mass_floor"])
    lost = law.lost_mass
    M, start, dx = np.array(law.mass), law.start, law.spacing

    def score_fn(y, t):
        flat = np.atleast_1d(np.asarray(y, dtype=np.float64)).ravel()
        s = np.asarray(model(flat[:, None], float(t)), dtype=np.float64)
        if s.shape != (flat.size, 1) or not np.all(np.isfinite(s)):
            raise ValueError(f"score: returned a wrong shape or non-finite values at t = {t}")
        return s[:, 0].reshape(np.shape(y))

    default = _samplers.is_default(sampler)
    if default:
        coefs = integrator_coefficients(times)
        c_all = coefs[:, 2]
    else:
        smp: Any = _samplers.get_sampler(sampler)  # a Gaussian-step sampler (checked above)
        c_all = np.asarray(smp.noise_scales(times), dtype=np.float64)

    def mean_map_at(k):
        if default:
            a, b = coefs[k, 0], coefs[k, 1]
            return lambda x: a * x + b * score_fn(x, times[k])
        return lambda x: np.asarray(smp.mean_map(x, score_fn, times, k), dtype=np.float64)

    maps = [mean_map_at(k) for k in range(c_all.size)]
    for mean_map, c in zip(maps, c_all, strict=True):
        M, start, lost_k = _step_law_reference(M, start, dx, mean_map, float(c), opts)
        lost += lost_k
    return GridLaw(M, dx, start, min(1.0, lost))


def _output_law_generic(smp, score, times, grid, init, progress) -> GridLaw:
    """``output_law`` for a Gaussian-step sampler other than the default (its docstring)."""
    from diffbounds.simulators import samplers as _samplers

    model, times, init, opts = _check_args(score, times, grid, init)
    c_all = _samplers.check_noise_scales(smp, times)
    law = GridLaw.from_mixture(init, spacing=opts["spacing"], mass_floor=opts["mass_floor"])
    lost = law.lost_mass
    M, start, dx = np.array(law.mass), law.start, law.spacing
    score_at = _score_evaluator(model, times)
    index = {float(t): j for j, t in enumerate(times[:-1])}
    cache: dict = {}  # kernels and their spectra, reused across steps

    from diffbounds.simulators.kernels.cpu import serial_scores

    with (progress_bar(progress, len(c_all), desc=f"output_law[{smp.name}]") as bar,
          serial_scores()):
        for k, c in enumerate(c_all):
            def score_fn(y, t, k=k):
                y = np.asarray(y, dtype=np.float64)
                flat = np.atleast_1d(y).ravel()
                j = index.get(float(t))
                s = (score_at(flat, j, float(t)) if j is not None else
                     np.asarray(model(flat[:, None], float(t)), dtype=np.float64))
                if s.shape != (flat.size, 1):
                    raise ValueError(f"score: returned shape {s.shape} at step {k} (t = {t}), "
                                     f"expected {(flat.size, 1)}")
                if not np.all(np.isfinite(s)):
                    raise ValueError(f"score: returned non-finite values at step {k} "
                                     f"(t = {t})")
                return s[:, 0].reshape(y.shape)

            def mean_map(x, k=k, score_fn=score_fn):
                m = np.asarray(smp.mean_map(x, score_fn, times, k), dtype=np.float64)
                if m.shape != x.shape or not np.all(np.isfinite(m)):
                    raise ValueError(f"sampler: mean_map returned a wrong shape or non-finite "
                                     f"values at step {k} (t = {times[k]})")
                return m

            c = float(c)
            M, start, lost_k = _step_law(M, start, dx, mean_map, c, opts, cache)
            lost += lost_k
            bar.update(1)
    return GridLaw(M, dx, start, min(1.0, lost))


def _score_evaluator(model, times):
    """``f(x, k, t) -> (x.size, 1)`` float64 scores at step k (time t) for points x (n,).

    A kernel score model's parameters for all steps are built once and its family evaluated by
    the compiled CPU kernel; other models are called as ``model(x[:, None], t)``.
    """
    if isinstance(model, KernelScore):
        from diffbounds.simulators.kernels import cpu

        family, P = model.kernel_program(times, "float64")

        def evaluate(x, k, t):
            return cpu.evaluate_family(family, P, x[:, None], k)

        return evaluate

    def call(x, k, t):
        return np.asarray(model(x[:, None], t), dtype=np.float64)

    return call


#: a segment is flagged non-smooth when its quadratic fit has |m″h²| > _KINK * |m′h| + _KINK_ABS Δ
_KINK = 0.25
_KINK_ABS = 1e-6
#: flagged segments are halved up to this depth (a jump is then located to Δ · 2^-40)
_MAX_DEPTH = 40


def _segments(M, start, dx, mean_map, compiled=None):
    """Pieces of the cells on which the mean map is smooth, with its quadratic fit.

    Every cell starts as one segment with the map at its edges and centre (one score call on
    the 2G + 1 points). A segment whose fit looks non-smooth (a jump or kink of the score
    inside it: |m_L − 2 m_C + m_R| large against |m_R − m_L|) is halved, with the map at the new
    quarter points (one more call per level on the flagged segments only), up to depth 40.
    Returns a dict of arrays: cell index, centre u0 and width h in cell coordinates
    (u ∈ [−½, ½]), and mL, mC, mR. ``compiled``: the module ``kernels.law1d_cpu``, whose
    loops replace the NumPy arithmetic of the first level and of the smoothness test.
    """
    G = M.size
    kink_abs = _KINK_ABS * dx
    done = []
    if compiled is not None:
        m = mean_map(compiled.lattice_points(start, G, dx))
        # live cells split into smooth (kept) and flagged ones, in one pass
        cell, mL, mC, mR, flag = compiled.first_level(M, m, _KINK, kink_abs)
        keep = ~flag
        n_keep = int(keep.sum())
        done.append((cell[keep], np.zeros(n_keep), np.ones(n_keep), mL[keep], mC[keep],
                     mR[keep]))
        cell, mL, mC, mR = cell[flag], mL[flag], mC[flag], mR[flag]
        u0, h = np.zeros(cell.size), np.ones(cell.size)
        first_depth = 1
        if cell.size == 0:
            first_depth = _MAX_DEPTH + 1  # every cell smooth: nothing to refine
        else:
            cell, u0, h, mL, mC, mR = _halve(cell, u0, h, mL, mC, mR, start, dx, mean_map)
    else:
        pts = (start + np.arange(2 * G + 1) / 2.0 - 0.5) * dx  # edges and centres
        m = mean_map(pts)
        cell = np.arange(G)
        u0 = np.zeros(G)
        h = np.ones(G)
        mL, mC, mR = m[0:-1:2], m[1::2], m[2::2]
        live = M > 0
        cell, u0, h, mL, mC, mR = cell[live], u0[live], h[live], mL[live], mC[live], mR[live]
        first_depth = 0
    for depth in range(first_depth, _MAX_DEPTH + 1):
        if compiled is not None:
            flag = compiled.smooth_flags(mL, mC, mR, _KINK, kink_abs)
        else:
            flag = np.abs(mR - 2.0 * mC + mL) > _KINK * np.abs(mR - mL) + kink_abs
        if depth == _MAX_DEPTH or not flag.any():
            done.append((cell, u0, h, mL, mC, mR))
            break
        keep = ~flag
        done.append((cell[keep], u0[keep], h[keep], mL[keep], mC[keep], mR[keep]))
        cell, u0, h, mL, mC, mR = _halve(cell[flag], u0[flag], h[flag], mL[flag], mC[flag],
                                         mR[flag], start, dx, mean_map)
    if first_depth > _MAX_DEPTH:
        done.append((cell, u0, h, mL, mC, mR))
    return {name: np.concatenate([d[i] for d in done])
            for i, name in enumerate(("cell", "u0", "h", "mL", "mC", "mR"))}


def _halve(cell, u0, h, mL, mC, mR, start, dx, mean_map):
    """Both halves of each segment, with the map at the new quarter points (one call)."""
    q = 0.25 * h
    cell = np.concatenate([cell, cell])
    u0 = np.concatenate([u0 - q, u0 + q])
    h = np.concatenate([0.5 * h, 0.5 * h])
    return (cell, u0, h, np.concatenate([mL, mC]), mean_map((start + cell + u0) * dx),
            np.concatenate([mC, mR]))


def _deposit(seg, total, dx, c, opts, compiled=None):
    """Masses of the image of the parabolic reconstruction under the segment-wise quadratic map.

    The density of cell i is q(u) = M + S u + P (u² − 1/12) (``_parabolas``); on a segment of
    centre u0 and width h it is, in the segment's own coordinate v ∈ [−½, ½],
    M' + S' v + P' (v² − 1/12) with M' = h (M + S u0 + P (u0² − 1/12 + h²/12)),
    S' = h² (S + 2 P u0), P' = h³ P. The image of a segment is the interval of length |m′|
    centred at m(centre) + m″/24 (m's mean over the segment to O(h⁴)), carrying that density,
    integrated exactly over the target cells.

    Returns (masses on the new lattice interval, its start index, mass thrown off the grid).
    ``compiled``: the module ``kernels.law1d_cpu``, whose loops replace the NumPy arithmetic
    below (same formulas; this NumPy version is the reference its tests compare with).
    """
    cellM, cellS, cellP = seg.pop("_M"), seg.pop("_S"), seg.pop("_P")
    i, u0, h = seg["cell"], seg["u0"], seg["h"]
    mL, mC, mR = seg["mL"], seg["mC"], seg["mR"]
    if compiled is not None:
        Mi, Si, Pi, lo_img, hi_img, m1 = compiled.segment_images(
            i, u0, h, mL, mC, mR, cellM, cellS, cellP, dx)
    else:
        Mi = h * (cellM[i] + cellS[i] * u0 + cellP[i] * (u0 * u0 - 1.0 / 12.0 + h * h / 12.0))
        Si = h * h * (cellS[i] + 2.0 * cellP[i] * u0)
        Pi = h**3 * cellP[i]
        m1 = mR - mL  # m′ h Δ
        centre = mC + (mR - 2.0 * mC + mL) / 12.0  # mC + m″ (hΔ)² / 24
        half = 0.5 * np.abs(m1)
        lo_img = (centre - half) / dx
        hi_img = (centre + half) / dx
    # lattice index range [j0, j1] covering all images (in cell units: cell j = [j − ½, j + ½])
    j0 = math.floor(float(lo_img.min()) + 0.5)
    j1 = math.floor(float(hi_img.max()) + 0.5)
    reach = math.ceil(opts["truncation"] * c / dx) + 1
    windowed = j1 - j0 + 1 + 2 * reach > opts["max_cells"]
    if windowed:
        j0, j1 = _richest_window(Mi, 0.5 * (lo_img + hi_img), opts["max_cells"] - 2 * reach)
    n_out = j1 - j0 + 1
    if compiled is not None:
        out, deposited = compiled.deposit(Mi, Si, Pi, lo_img, hi_img, m1, j0, n_out, dx)
        lost = max(0.0, total - deposited) if windowed else 0.0
        return np.maximum(out, 0.0), j0, lost
    # cell-unit coordinates relative to the left edge of cell j0
    a = lo_img - (j0 - 0.5)
    bnd = hi_img - (j0 - 0.5)
    sgn = np.where(m1 < 0, -1.0, 1.0)
    width = bnd - a
    out = np.zeros(n_out)
    deposited = 0.0
    # point images (m′ ≈ 0): the whole mass at the image mean m′ E[v] + centre
    point = width < 1e-9
    if point.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            shift = np.where(Mi[point] > 0, m1[point] * Si[point] / (12.0 * Mi[point] * dx), 0.0)
        pos = np.floor(0.5 * (a[point] + bnd[point]) + shift).astype(np.int64)
        ok = (pos >= 0) & (pos < n_out)
        out += np.bincount(pos[ok], weights=Mi[point][ok], minlength=n_out)
        deposited += float(Mi[point][ok].sum())
    keep = ~point
    a, bnd, Mi, Si, Pi = a[keep], bnd[keep], Mi[keep], Si[keep], Pi[keep]
    width, sgn = width[keep], sgn[keep]
    mid = 0.5 * (a + bnd)
    first = np.clip(np.floor(a).astype(np.int64), 0, n_out - 1)
    last = np.clip(np.floor(bnd).astype(np.int64), -1, n_out - 1)
    counts = np.maximum(last - first + 1, 0)
    cum = np.cumsum(counts)
    chunk = 4_000_000  # bound the memory of the (segment, target) pair arrays
    bounds = np.searchsorted(cum, np.arange(chunk, int(cum[-1]) if cum.size else 0, chunk))
    for g in np.split(np.arange(a.size), bounds):
        if g.size == 0:
            continue
        cnt = counts[g]
        src = np.repeat(g, cnt)
        j = first[src] + (np.arange(src.size) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        lo = np.maximum(a[src], j)
        hi = np.minimum(bnd[src], j + 1.0)
        # segment coordinate v ∈ [−½, ½] of the overlap's ends; mass = ∫ q(v) dv
        s_, w_ = sgn[src], width[src]
        # (the image's own ends map to v = ∓½ exactly, so each segment's mass is conserved)
        v_lo = np.where(lo == a[src], -0.5 * s_, np.clip(s_ * (lo - mid[src]) / w_, -0.5, 0.5))
        v_hi = np.where(hi == bnd[src], 0.5 * s_, np.clip(s_ * (hi - mid[src]) / w_, -0.5, 0.5))
        w = s_ * (_primitive(Mi[src], Si[src], Pi[src], v_hi)
                  - _primitive(Mi[src], Si[src], Pi[src], v_lo))
        w = np.where(hi > lo, w, 0.0)
        out += np.bincount(j, weights=w, minlength=n_out)
        deposited += float(w.sum())
    lost = max(0.0, total - deposited) if windowed else 0.0
    return np.maximum(out, 0.0), j0, lost


def _primitive(M, S, P, u):
    """∫_0^u (M + S v + P (v² − 1/12)) dv."""
    return u * (M + u * (0.5 * S + P * u / 3.0) - P / 12.0)


def _richest_window(M, pos, n):
    """Lattice index range of n cells holding the most mass at image positions ``pos``."""
    live = np.isfinite(pos)
    order = np.argsort(pos[live])
    p = pos[live][order]
    w = M[live][order]
    cw = np.concatenate([[0.0], np.cumsum(w)])
    right = np.searchsorted(p, p + n - 1, side="right")
    best = int(np.argmax(cw[right] - cw[np.arange(p.size)]))
    j0 = math.floor(p[best] + 0.5)
    return j0, j0 + n - 1


def _convolve(M, start, dx, c, truncation, parabolas=None, conv=None):
    """Cell masses after adding N(0, c²) noise (the grid grows by the kernel's reach).
    ``conv``: the convolution (default ``_conv``; ``_conv_reference`` for the reference)."""
    if c == 0.0:
        return M, start
    conv = conv or _conv
    r = c / dx
    K = math.ceil(truncation * r) + 1
    n = np.arange(-K, K + 1)
    if r >= _SAMPLED_KERNEL_MIN:
        kern = np.exp(-0.5 * (n / r) ** 2 - 0.5 * _LOG_2PI) / r
        out = conv(M, kern)
    else:
        W, V, U = _cell_kernels(r, K)
        S, P = (parabolas or _parabolas)(M)
        out = conv(M, W) + conv(S, V) + conv(P, U)
    return np.maximum(out, 0.0), start - K


def _conv(x, k):
    if x.size * k.size <= 2_000_000:
        return np.convolve(x, k)
    # overlap-add (FFTs of a few kernel lengths) when the kernel is short against the law:
    # measured 3x faster than one long FFT at 430k cells and 500-cell kernels, slower beyond
    # ~1/64 of the length
    long_fft = k.size * _OA_RATIO > x.size
    out = signal.fftconvolve(x, k) if long_fft else signal.oaconvolve(x, k)
    # FFT rounding leaves noise of relative size ~1e-16 of the largest value: zero it so the
    # trimming of empty tails works
    out[np.abs(out) < _FFT_NOISE * np.abs(out).max()] = 0.0
    return out


def _conv_reference(x, k):
    """``_conv`` as before issue 11 (one long FFT): the reference implementation's."""
    if x.size * k.size <= 2_000_000:
        return np.convolve(x, k)
    out = signal.fftconvolve(x, k)
    out[np.abs(out) < _FFT_NOISE * np.abs(out).max()] = 0.0
    return out


def _convolve_cached(M, start, dx, c, truncation, cache):
    """``_convolve`` with the kernels of each c / Δ built once per chain (``cache``), the long
    convolutions by ``_conv_sparse`` and the FFT-noise cut and clip at 0 in one compiled pass.
    Same kernels, same rule for the noise: the same masses up to FFT rounding."""
    from diffbounds.simulators.kernels import law1d_cpu as lc

    if c == 0.0:
        return M, start
    r = c / dx
    K = math.ceil(truncation * r) + 1
    key = (r, K)
    if key not in cache:
        if r >= _SAMPLED_KERNEL_MIN:
            n = np.arange(-K, K + 1)
            cache[key] = (np.exp(-0.5 * (n / r) ** 2 - 0.5 * _LOG_2PI) / r,)
        else:
            cache[key] = _cell_kernels(r, K)
    kernels = cache[key]
    if len(kernels) == 1:
        out, fft = _conv_sparse(M, kernels[0], cache, key + (0,))
        if fft:
            return lc.clean_fft_output(out, _FFT_NOISE, True), start - K
        return np.maximum(out, 0.0, out=out), start - K
    S, P = lc.parabolas(M)
    total = None
    for i, (x, kern) in enumerate(zip((M, S, P), kernels, strict=True)):
        out, fft = _conv_sparse(x, kern, cache, key + (i,))
        if fft:
            lc.clean_fft_output(out, _FFT_NOISE, False)
        total = out if total is None else total + out
    return np.maximum(total, 0.0, out=total), start - K


#: overlap-add blocks of ``_conv_sparse``: FFT length about this many kernel lengths (README
#: example: 2, 3, 4, 6 and 8 all gave 3.9–4.1 s in total, within the noise; 4 kept)
_OA_FFT_KERNELS = 4


def _conv_sparse(x, k, cache, key):
    """``_conv`` (same choice of method) with the overlap-add done here: blocks of ``x`` that
    are all zero are skipped (the law is often a few far-apart lumps on a wide lattice), and
    the kernel's spectrum is kept in ``cache`` under ``key``. Returns (the full convolution,
    whether it went through an FFT), without the noise cut."""
    if x.size * k.size <= 2_000_000:
        return np.convolve(x, k), False
    if k.size * _OA_RATIO > x.size:
        return signal.fftconvolve(x, k), True
    L = k.size
    nfft = sp_fft.next_fast_len(_OA_FFT_KERNELS * L, real=True)
    B = nfft - L + 1
    skey = key + (nfft,)
    spec = cache.get(skey)
    if spec is None:
        spec = cache[skey] = sp_fft.rfft(k, nfft)
    from diffbounds.simulators.kernels import law1d_cpu as lc

    live = np.flatnonzero(lc.any_nonzero_blocks(x, B))
    if live.size == 0:
        return np.zeros(x.size + L - 1), True
    rows = sp_fft.rfft(lc.gather_blocks(x, live, B, nfft), axis=1, overwrite_x=True)
    rows *= spec
    y = sp_fft.irfft(rows, nfft, axis=1, overwrite_x=True)
    return lc.overlap_add(y, live, B, x.size + L - 1), True


def _psi_tail(u):
    """ψ(−u) = φ(u) − u Φ(−u) for u ≥ 0, where ψ(z) = ∫_{−∞}^z Φ."""
    return np.exp(-0.5 * u * u - 0.5 * _LOG_2PI) - u * special.ndtr(-u)


def _chi_tail(u):
    """χ(−u) = ((u² − 1) Φ(−u) − u φ(u)) / 2 for u ≥ 0, where χ(z) = ∫_{−∞}^z v Φ(v) dv."""
    return 0.5 * ((u * u - 1.0) * special.ndtr(-u) - u * np.exp(-0.5 * u * u - 0.5 * _LOG_2PI))


def _omega_tail(u):
    """ω(−u) = ((u² + 2) φ(u) − u³ Φ(−u)) / 3 for u ≥ 0, where ω(z) = ∫_{−∞}^z v² Φ(v) dv."""
    return ((u * u + 2.0) * np.exp(-0.5 * u * u - 0.5 * _LOG_2PI)
            - u**3 * special.ndtr(-u)) / 3.0


def _cell_kernels(r, K):
    """Mass moved from a cell into the cells n = −K..K by N(0, (rΔ)²) noise, exactly, for the
    cell density (M + S u + P (u² − 1/12))/Δ, u ∈ [−½, ½]: returns (W, V, U), the mass in
    cell n being M W_n + S V_n + P U_n.

    With Φ = H + E (H the unit step, E odd and small), the step part keeps the cell in place
    (W = δ_0, V = U = 0) and only E moves mass. With r' = x − r z the density is
    α − β r z + P r² z², α = M + S x + P (x² − 1/12), β = S + 2 P x, integrated against E with
    ∫E = ψ(−|z|), ∫zE = χ(z) (z ≤ 0) or −½ − χ(−z) (z > 0), ∫z²E = ω(−|z|).
    """
    x = np.arange(-K, K + 2) - 0.5  # target edges

    def P2(z):
        az = np.abs(z)
        return np.where(z <= 0, _chi_tail(az), -0.5 - _chi_tail(az))

    z1 = (x - 0.5) / r
    z2 = (x + 0.5) / r
    d1 = _psi_tail(np.abs(z2)) - _psi_tail(np.abs(z1))
    d2 = P2(z2) - P2(z1)
    d3 = _omega_tail(np.abs(z2)) - _omega_tail(np.abs(z1))
    C_M = r * d1
    C_S = r * (x * d1 - r * d2)
    C_P = r * ((x * x - 1.0 / 12.0) * d1 - 2.0 * x * r * d2 + r * r * d3)
    W, V, U = np.diff(C_M), np.diff(C_S), np.diff(C_P)
    W[K] += 1.0
    return W, V, U


def _parabolas(M):
    """In-cell parabola q(u) = M + S u + P (u² − 1/12) whose averages over the cell and its two
    neighbours are the cell masses (third order); where it would go negative inside the cell,
    the linear S clipped to |S| ≤ 2M (P = 0) is used instead."""
    p = np.concatenate([[0.0], M, [0.0]])
    S = 0.5 * (p[2:] - p[:-2])
    P = 0.5 * (p[2:] - 2.0 * M + p[:-2])
    ends = np.minimum(M - 0.5 * np.abs(S) + P / 6.0, M + P / 6.0 + 0.5 * np.abs(S))
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(P != 0, -S / (2.0 * P), 0.0)
    vertex = np.where((P > 0) & (np.abs(v) < 0.5), M + S * v + P * (v * v - 1.0 / 12.0), np.inf)
    bad = np.minimum(ends, vertex) < 0
    if bad.any():
        S = np.where(bad, np.clip(S, -2.0 * M, 2.0 * M), S)
        P = np.where(bad, 0.0, P)
    return S, P


def _slopes(M):
    """Centred-difference in-cell slopes S_j (mass units), limited to |S_j| ≤ 2 M_j so that the
    linear density M_j + S_j u stays ≥ 0 on the cell."""
    p = np.concatenate([[0.0], M, [0.0]])
    S = 0.5 * (p[2:] - p[:-2])
    return np.clip(S, -2.0 * M, 2.0 * M)


def _solve_in_cell(M, S, rem):
    """u ∈ [−½, ½] with M (u + ½) + S (u² − ¼)/2 = rem (the in-cell CDF), elementwise."""
    A = 0.5 * S
    C = 0.5 * M - 0.125 * S - rem
    disc = np.maximum(M * M - 4.0 * A * C, 0.0)
    den = M + np.sqrt(disc)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(den > 0, -2.0 * C / den, 0.0)
    return np.clip(u, -0.5, 0.5)


def _trim(law: GridLaw, floor: float) -> GridLaw:
    """Drop end cells with mass < floor; their mass is added to ``lost_mass``."""
    M = law.mass
    big = np.nonzero(M >= floor)[0] if floor > 0 else np.nonzero(M > 0)[0]
    if big.size == 0:
        big = np.array([int(np.argmax(M))])
    i0, i1 = int(big[0]), int(big[-1]) + 1
    if i0 == 0 and i1 == M.size:
        return law
    dropped = float(M[:i0].sum() + M[i1:].sum())
    return GridLaw(M[i0:i1], law.spacing, law.start + i0, min(1.0, law.lost_mass + dropped))


# --------------------------------------------------------------------------- helpers


def _cell_masses(mixture, edges):
    """Q(cell_j) from CDF differences on the left half and survival differences on the right."""
    F = mixture.cdf(edges)
    S = mixture.sf(edges)
    left = F[1:] <= 0.5
    return np.maximum(np.where(left, F[1:] - F[:-1], S[:-1] - S[1:]), 0.0)


def _support(mixture, floor):
    """[lo, hi] outside which each tail of the 1-D mixture has mass < floor / 2."""
    p = max(floor, 1e-300) / 2
    mu = mixture.means[:, 0]
    s = np.sqrt(mixture.eigvals[:, 0])
    z = -special.ndtri(p) if p < 0.5 else 0.0
    keep = mixture.weights > 0
    return float((mu - z * s)[keep].min()), float((mu + z * s)[keep].max())


def _check_target(name, target):
    if not isinstance(target, GaussianMixture):
        raise TypeError(f"{name}: expected a 1-D GaussianMixture, got {type(target).__name__}")
    if target.dim != 1:
        raise ValueError(f"{name}: must be a 1-D GaussianMixture, got dim = {target.dim}")


def _real_array(name: str, x: ArrayLike) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: expected real numbers ({exc})") from None
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name}: must not contain NaN")
    return arr


def _check_positive_real(name, value):
    return check_real(name, value, positive=True)


def _check_args(score: Any, times: ArrayLike, grid: Any, init: GaussianMixture | None
                ) -> tuple[KernelScore | CallableScore, np.ndarray, GaussianMixture,
                           dict[str, Any]]:
    times = _check_times(times)
    _check_step_sizes(times, "float64")  # the sampler's rule: coefficients must not overflow
    if init is None:
        init = GaussianMixture([1.0], [0.0], [1.0])
    else:
        _check_target("init", init)
    if isinstance(score, GaussianMixture) and score.dim != 1:
        raise ValueError(f"score: law1d needs a 1-D score model, got a GaussianMixture of "
                         f"dim = {score.dim}")
    model = as_score_model(score)
    dim = getattr(model, "dim", None)
    if dim is not None and dim != 1:
        raise ValueError(f"score: law1d needs a 1-D score model, got dim = {dim}")
    opts = _grid_options(grid)
    floor = opts["mass_floor"]
    if opts["spacing"] is None:
        lo, hi = _support(init, floor)
        spacing = (hi - lo) / opts["cells"]
        if isinstance(model, MixtureScore):
            last = model.mixture.at(float(times[-1]))
            s_min = float(np.sqrt(last.eigvals[last.weights > 0, 0]).min())
            spacing = min(spacing, s_min / _CELLS_PER_SD)
        opts["spacing"] = spacing
    return model, times, init, opts


def _grid_options(grid):
    if grid is None:
        grid = {}
    elif isinstance(grid, (numbers.Integral, np.integer)) and not isinstance(grid, bool):
        grid = {"cells": grid}
    elif not isinstance(grid, dict):
        raise TypeError(f"grid: expected None, an int (cells) or a dict of options, "
                        f"got {type(grid).__name__}")
    unknown = set(grid) - set(_GRID_KEYS)
    if unknown:
        raise ValueError(f"grid: unknown option(s) {sorted(unknown)}; allowed {_GRID_KEYS}")
    if "cells" in grid and "spacing" in grid:
        raise ValueError("grid: give either 'cells' or 'spacing', not both")
    opts = {"spacing": None, "cells": _DEFAULT_CELLS, "truncation": _DEFAULT_TRUNCATION,
            "mass_floor": _DEFAULT_MASS_FLOOR, "max_cells": _DEFAULT_MAX_CELLS}
    if "cells" in grid:
        opts["cells"] = check_int("grid['cells']", grid["cells"], lo=16)
    if "spacing" in grid:
        opts["spacing"] = _check_positive_real("grid['spacing']", grid["spacing"])
    if "truncation" in grid:
        tr = _check_positive_real("grid['truncation']", grid["truncation"])
        if not 6.0 <= tr <= 40.0:
            raise ValueError(f"grid['truncation']: must be in [6, 40], got {tr}")
        opts["truncation"] = tr
    if "mass_floor" in grid:
        fl = grid["mass_floor"]
        if isinstance(fl, bool) or not isinstance(fl, (numbers.Real, np.floating)):
            raise TypeError(f"grid['mass_floor']: expected a real number, got "
                            f"{type(fl).__name__}")
        if not 0.0 <= float(fl) <= 1e-8:
            raise ValueError(f"grid['mass_floor']: must be in [0, 1e-8], got {fl}")
        opts["mass_floor"] = float(fl)
    if "max_cells" in grid:
        opts["max_cells"] = check_int("grid['max_cells']", grid["max_cells"], lo=16)
    return opts
