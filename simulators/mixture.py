"""Gaussian mixtures with closed-form OU marginals, log-densities and scores.

A mixture ``q_0 = sum_k w_k N(mu_k, Sigma_k)`` pushed through the forward process
``dX = -X dt + sqrt(2) dB`` stays a mixture (paper-notes §2.1):

    q_t = sum_k w_k N(e^{-t} mu_k, e^{-2t} Sigma_k + sigma_t^2 I),   sigma_t^2 = 1 - e^{-2t}.

Every covariance is kept as an eigendecomposition ``Sigma_k = Q_k diag(lambda_k) Q_k^T``
computed once in the constructor, so ``q_t`` only rescales eigenvalues and reuses ``Q_k``.
Isotropic and diagonal mixtures never form a matrix (``Q_k = I`` is implicit).

Densities and scores are evaluated in the log domain: responsibilities are a soft-max of
``log w_k - 1/2 log det Sigma_k - 1/2 (x - mu_k)^T Sigma_k^{-1} (x - mu_k)``, with the
difference ``x - mu_k`` formed first (never ``x^2 - 2 x mu + mu^2``).
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from diffbounds.simulators._validate import check_seed

__all__ = ["GaussianMixture"]

COV_TYPES = ("isotropic", "diagonal", "full")
_LOG_2PI = math.log(2.0 * math.pi)
_WEIGHT_SUM_ATOL = 1e-9
_SYMMETRY_RTOL = 1e-8
# A full covariance is accepted as positive definite when lambda_min > _PD_FACTOR * d * eps *
# lambda_max, i.e. when its smallest eigenvalue is resolved by eigh (above rounding level).
_PD_FACTOR = 10.0
# Working-set size (elements of the (points, components, dim) temporaries) per chunk.
_CHUNK_ELEMENTS = 1 << 21


# --------------------------------------------------------------------------------------------
# input validation helpers
# --------------------------------------------------------------------------------------------


def _real_array(name: str, value, *, allow_inf: bool = False) -> np.ndarray:
    """``value`` as a float64 array; TypeError for non-real data, ValueError for ragged,
    NaN or (unless ``allow_inf``) infinite data."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name}: expected a real number or array, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(f"{name}: not a rectangular array ({exc})") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"{name}: expected real numbers, got an array of dtype {arr.dtype} "
            f"(from {type(value).__name__})"
        )
    arr = arr.astype(np.float64, copy=True)
    if allow_inf:
        if np.any(np.isnan(arr)):
            raise ValueError(f"{name}: must not contain NaN")
    elif not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: must be finite (found NaN or inf)")
    return arr


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    arr.flags.writeable = False
    return arr


def _check_time(t) -> float:
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (numbers.Real, np.floating)):
        if isinstance(t, np.ndarray) and t.ndim == 0 and t.dtype.kind in "iuf":
            t = t.item()
        else:
            raise TypeError(f"t: expected a real number, got {type(t).__name__}")
    t = float(t)
    if not math.isfinite(t):
        raise ValueError(f"t: must be finite, got {t}")
    if t < 0:
        raise ValueError(f"t: must be >= 0, got {t}")
    return t


def _check_count(name: str, n) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (numbers.Integral, np.integer)):
        raise TypeError(f"{name}: expected an integer, got {type(n).__name__}")
    n = int(n)
    if n < 1:
        raise ValueError(f"{name}: must be >= 1, got {n}")
    return n


def _parse_covariances(covariances, K: int, d: int):
    """Return (cov_type, array) with array of shape (K,), (K, d) or (K, d, d).

    ``ndim`` decides the form: 0 -> shared isotropic variance, 1 -> one variance per component,
    2 -> diagonals (K, d), 3 -> full matrices (K, d, d). A list/tuple of K per-component entries
    (each a scalar, a length-d vector or a d x d matrix) may mix forms; all entries are promoted
    to the most general form present.
    """
    name = "covariances"
    if isinstance(covariances, (list, tuple)) and len(covariances) == K:
        entries = [_real_array(f"{name}[{k}]", c) for k, c in enumerate(covariances)]
        ndims = {e.ndim for e in entries}
        if len(ndims) > 1:
            for k, e in enumerate(entries):
                if e.ndim > 2:
                    raise ValueError(
                        f"{name}: entry {k} has {e.ndim} dimensions; each entry must be a "
                        "scalar, a length-d vector or a d x d matrix"
                    )
                if e.ndim == 1 and e.shape != (d,):
                    raise ValueError(f"{name}: entry {k} has shape {e.shape}, expected ({d},)")
                if e.ndim == 2 and e.shape != (d, d):
                    raise ValueError(f"{name}: entry {k} has shape {e.shape}, expected ({d}, {d})")
            if 2 in ndims:
                cov = np.empty((K, d, d))
                for k, e in enumerate(entries):
                    cov[k] = e if e.ndim == 2 else np.diag(np.broadcast_to(e, (d,)))
                return "full", cov
            cov = np.empty((K, d))
            for k, e in enumerate(entries):
                cov[k] = np.broadcast_to(e, (d,))
            return "diagonal", cov
        if len({e.shape for e in entries}) > 1:
            raise ValueError(
                f"{name}: per-component entries have different shapes "
                f"{sorted({e.shape for e in entries})}"
            )
        cov = np.stack(entries)
    else:
        cov = _real_array(name, covariances)
    if cov.ndim == 0:
        return "isotropic", np.full(K, float(cov))
    if cov.ndim == 1:
        if cov.shape != (K,):
            raise ValueError(
                f"{name}: a 1-D array means one isotropic variance per component and must have "
                f"shape ({K},), got {cov.shape}"
            )
        return "isotropic", cov
    if cov.ndim == 2:
        if cov.shape != (K, d):
            raise ValueError(
                f"{name}: a 2-D array means diagonals and must have shape (K, d) = ({K}, {d}), "
                f"got {cov.shape} (a single d x d matrix needs the component axis: (1, d, d))"
            )
        return "diagonal", cov
    if cov.ndim == 3:
        if cov.shape != (K, d, d):
            raise ValueError(
                f"{name}: a 3-D array means full matrices and must have shape (K, d, d) = "
                f"({K}, {d}, {d}), got {cov.shape}"
            )
        return "full", cov
    raise ValueError(f"{name}: expected 0 to 3 dimensions, got shape {cov.shape}")


# --------------------------------------------------------------------------------------------
# the mixture
# --------------------------------------------------------------------------------------------


class GaussianMixture:
    """``q(x) = sum_k w_k N(x; mu_k, Sigma_k)`` on R^d, with structured covariances.

    Parameters
    ----------
    weights : array_like, shape (K,)
        Non-negative, finite, summing to 1 within 1e-9 (or any positive sum with
        ``normalize=True``, in which case they are divided by their sum). Zero weights are
        allowed; weights as small as 1e-12 are handled exactly in the log domain.
    means : array_like, shape (K, d)
        Component means. A 1-D array of length K is read as K scalar means (d = 1).
    covariances : scalar, array_like or list
        The number of dimensions decides the form (so d == K is never ambiguous):

        * scalar: one isotropic variance shared by all components -> ``"isotropic"``;
        * shape (K,): one isotropic variance per component -> ``"isotropic"``;
        * shape (K, d): diagonals -> ``"diagonal"``;
        * shape (K, d, d): full symmetric positive-definite matrices -> ``"full"``;
        * a list/tuple of K per-component entries of mixed forms (scalar, length-d vector,
          d x d matrix): promoted to the most general form present.

        A single d x d matrix must be given with its component axis, shape (1, d, d).
        Full matrices must be symmetric to ``max|S - S^T| <= 1e-8 max|S|`` (they are then
        symmetrised) and positive definite to working precision
        (``lambda_min > 10 d eps lambda_max``).
    normalize : bool
        Divide the weights by their sum instead of requiring them to sum to 1.

    Attributes
    ----------
    weights : numpy.ndarray
        Shape (K,), read-only float64, as are the arrays below.
    log_weights : numpy.ndarray
        log(weights / sum(weights)), shape (K,).
    means : numpy.ndarray
        Shape (K, d).
    cov_type : {"isotropic", "diagonal", "full"}
        The covariance structure.
    eigvals : numpy.ndarray
        Covariance eigenvalues, shape (K, d).
    eigvecs : numpy.ndarray or None
        Shape (K, d, d) with ``Sigma_k = eigvecs[k] @ diag(eigvals[k]) @ eigvecs[k].T`` for
        "full", else None.
    variances : numpy.ndarray or None
        Shape (K,) for "isotropic", (K, d) for "diagonal", None for "full".

    Notes
    -----
    Points ``x``: shape (d,) or (..., d); for d = 1 also a scalar or a plain (n,) array (n
    points). ``score(x)`` has the shape of ``x``; ``log_prob(x)`` drops the last axis (a scalar
    for one point). ``sample(n, seed)`` returns (n, d). 1-D mixtures also have ``pdf``,
    ``logpdf``, ``cdf``, ``sf`` and ``quantile``, elementwise over any array shape.

    Examples
    --------
    >>> q = GaussianMixture([0.999, 0.001], [[0.0], [1e4]], 1.0)   # paper Figure 1, p_2
    >>> float(q.score(1.0)), float(q.score(1e4 + 1.0))
    (-1.0, -1.0)
    >>> q.at(0.5).cov_type, q.dim, q.n_components
    ('isotropic', 1, 2)
    """

    __slots__ = (
        "weights",
        "log_weights",
        "means",
        "cov_type",
        "eigvals",
        "eigvecs",
        "variances",
        "_probs",
        "_log_det",
        "_dense",
    )

    def __init__(self, weights: ArrayLike, means: ArrayLike,
                 covariances: ArrayLike | list | tuple, *, normalize: bool = False) -> None:
        if not isinstance(normalize, (bool, np.bool_)):
            raise TypeError(f"normalize: expected a bool, got {type(normalize).__name__}")

        w = _real_array("weights", weights)
        if w.ndim != 1 or w.size == 0:
            raise ValueError(f"weights: expected a non-empty 1-D array, got shape {w.shape}")
        if np.any(w < 0):
            raise ValueError(f"weights: must be >= 0, got min {w.min()!r}")
        total = float(w.sum())
        if normalize:
            if not (total > 0 and math.isfinite(total)):
                raise ValueError(f"weights: must have a positive finite sum, got {total!r}")
            w = w / total
        elif abs(total - 1.0) > _WEIGHT_SUM_ATOL:
            raise ValueError(
                f"weights: must sum to 1 within {_WEIGHT_SUM_ATOL:g}, got sum {total!r} "
                "(pass normalize=True to rescale)"
            )
        K = w.shape[0]

        mu = _real_array("means", means)
        if mu.ndim == 1 and mu.shape == (K,):
            mu = mu[:, None]
        if mu.ndim != 2 or mu.shape[0] != K or mu.shape[1] == 0:
            raise ValueError(
                f"means: expected shape (K, d) with K = {K} (len(weights)), or ({K},) for "
                f"d = 1; got {mu.shape}"
            )
        d = mu.shape[1]

        cov_type, cov = _parse_covariances(covariances, K, d)
        variances = eigvecs = None
        if cov_type == "isotropic" or cov_type == "diagonal":
            if np.any(cov <= 0):
                raise ValueError(
                    f"covariances: variances must be > 0 (positive definite), got min {cov.min()!r}"
                )
            variances = cov
            eigvals = np.broadcast_to(cov[:, None], (K, d)) if cov_type == "isotropic" else cov
        else:
            scale = np.max(np.abs(cov), axis=(1, 2))
            asym = np.max(np.abs(cov - np.swapaxes(cov, 1, 2)), axis=(1, 2))
            bad = np.nonzero(asym > _SYMMETRY_RTOL * scale)[0]
            if bad.size:
                k = int(bad[0])
                raise ValueError(
                    f"covariances: component {k} is not symmetric "
                    f"(max |S - S^T| = {asym[k]:.3g} > {_SYMMETRY_RTOL:g} * max |S|)"
                )
            cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
            eigvals, eigvecs = np.linalg.eigh(cov)
            floor = _PD_FACTOR * d * np.finfo(np.float64).eps * eigvals[:, -1]
            bad = np.nonzero(~(eigvals[:, 0] > floor))[0]
            if bad.size:
                k = int(bad[0])
                raise ValueError(
                    f"covariances: component {k} is not positive definite (smallest eigenvalue "
                    f"{eigvals[k, 0]:.3g}, largest {eigvals[k, -1]:.3g})"
                )

        self._set(w, mu, cov_type, eigvals, eigvecs, variances)
        if cov_type == "full":
            # the validated input, kept so that covariance_matrices() and to_dict() return it
            # exactly (a config round trip is then bit-for-bit); at(t) rescales it lazily
            self._dense = (_readonly(cov), 1.0, 0.0)

    # -- construction without validation (used by .at and .project) --------------------------

    def _set(self, w, mu, cov_type, eigvals, eigvecs, variances, dense=None) -> None:
        # dense: None or (base, a, b) with Sigma_k = a base_k + b I (full mixtures only)
        self._dense = dense
        self.weights = _readonly(w)
        probs = w / w.sum()
        with np.errstate(divide="ignore"):
            self.log_weights = _readonly(np.log(probs))
        self._probs = _readonly(probs)
        self.means = _readonly(mu)
        self.cov_type = cov_type
        self.eigvals = _readonly(eigvals)
        self.eigvecs = None if eigvecs is None else _readonly(eigvecs)
        self.variances = None if variances is None else _readonly(variances)
        self._log_det = _readonly(np.sum(np.log(self.eigvals), axis=1))

    @classmethod
    def _from_parts(
        cls, w, mu, cov_type, eigvals, eigvecs, variances, dense=None
    ) -> GaussianMixture:
        obj = cls.__new__(cls)
        obj._set(w, mu, cov_type, eigvals, eigvecs, variances, dense)
        return obj

    def __getstate__(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict) -> None:
        # arrays come back from pickle writeable: freeze them again
        for name, value in state.items():
            if isinstance(value, np.ndarray):
                value = _readonly(value)
            elif name == "_dense" and value is not None:
                value = (_readonly(value[0]), value[1], value[2])
            setattr(self, name, value)

    # -- basic properties -----------------------------------------------------------------------

    @property
    def dim(self) -> int:
        """Dimension d of the space."""
        return self.means.shape[1]

    @property
    def n_components(self) -> int:
        """Number of components K."""
        return self.means.shape[0]

    def __repr__(self) -> str:
        return (
            f"GaussianMixture(n_components={self.n_components}, dim={self.dim}, "
            f"cov_type={self.cov_type!r})"
        )

    def mean(self) -> np.ndarray:
        """E x = sum_k w_k mu_k, shape (d,).

        Returns
        -------
        numpy.ndarray
            The mean, shape (d,).
        """
        return self._probs @ self.means

    def second_moment(self) -> float:
        """E ||x||^2 = sum_k w_k (||mu_k||^2 + tr Sigma_k): the paper's m_2^2 (not m_2).

        Returns
        -------
        float
            m_2^2, in squared units of x.

        Examples
        --------
        >>> GaussianMixture([0.5, 0.5], [[1.0, 0.0], [-1.0, 0.0]], 2.0).second_moment()
        5.0
        """
        per_component = np.sum(self.means**2, axis=1) + np.sum(self.eigvals, axis=1)
        return float(self._probs @ per_component)

    def covariance_matrices(self) -> np.ndarray:
        """Dense component covariances Sigma_k, shape (K, d, d), built on demand.

        For "full" mixtures this is the validated (symmetrised) input matrix, or for ``at(t)``
        ``e^{-2t} Sigma_k + sigma_t^2 I`` formed from it, not a product of eigenfactors.

        Returns
        -------
        numpy.ndarray
            Shape (K, d, d), a new array.
        """
        K, d = self.n_components, self.dim
        if self._dense is not None:
            base, a, b = self._dense
            if a == 1.0 and b == 0.0:
                return np.array(base)
            cov = a * base
            idx = np.arange(d)
            cov[:, idx, idx] += b
            return cov
        if self.cov_type == "full":
            q = self.eigvecs
            cov = np.einsum("kij,kj,klj->kil", q, self.eigvals, q)
            return 0.5 * (cov + np.swapaxes(cov, 1, 2))
        cov = np.zeros((K, d, d))
        idx = np.arange(d)
        cov[:, idx, idx] = self.eigvals
        return cov

    # -- the forward process ---------------------------------------------------------------------

    def at(self, t: float) -> GaussianMixture:
        """OU marginal q_t: means e^{-t} mu_k, covariances e^{-2t} Sigma_k + (1 - e^{-2t}) I.

        Keeps ``cov_type`` and reuses ``eigvecs``; ``at(0)`` reproduces the mixture exactly.

        Parameters
        ----------
        t : float
            Diffusion time, finite and >= 0.

        Returns
        -------
        GaussianMixture
            q_t, with the weights of q_0.

        Raises
        ------
        TypeError, ValueError
            ``t`` not a real number, not finite or negative.

        Examples
        --------
        >>> q = GaussianMixture([1.0], [[2.0]], 1.0).at(1e6)  # forgets the start
        >>> float(q.means[0, 0]), float(q.variances[0])
        (0.0, 1.0)
        """
        t = _check_time(t)
        decay = math.exp(-t)
        decay2 = math.exp(-2.0 * t)
        sigma2 = -math.expm1(-2.0 * t)
        eigvals = decay2 * self.eigvals + sigma2
        variances = None if self.variances is None else decay2 * self.variances + sigma2
        dense = None
        if self._dense is not None:
            base, a, b = self._dense
            dense = (base, decay2 * a, decay2 * b + sigma2)
        return GaussianMixture._from_parts(
            np.array(self.weights),
            decay * self.means,
            self.cov_type,
            eigvals,
            self.eigvecs,
            variances,
            dense,
        )

    # -- points ------------------------------------------------------------------------------------

    def _points(self, x) -> tuple[np.ndarray, tuple[int, ...]]:
        """Validate x; return (points (n, d), leading shape)."""
        arr = _real_array("x", x)
        d = self.dim
        if d == 1 and arr.ndim <= 1:
            # for d = 1 a scalar is one point and a plain (n,) array is n points
            return arr.reshape(-1, 1), arr.shape
        if arr.ndim == 0 or arr.shape[-1] != d:
            raise ValueError(
                f"x: last dimension must be d = {d}; got shape {arr.shape} "
                "(expected (d,) or (n, d))"
            )
        return arr.reshape(-1, d), arr.shape[:-1]

    def _chunk(self) -> int:
        return max(1, _CHUNK_ELEMENTS // (self.n_components * self.dim))

    def _log_joint(self, pts: np.ndarray, want_score: bool):
        """log(w_k N(x; mu_k, Sigma_k)) for every point and component, shape (n, K).

        With ``want_score`` also return the per-component precision-times-difference data
        needed to assemble the score: ``Sigma_k^{-1}(x - mu_k)`` in a compact form.
        """
        diff = pts[:, None, :] - self.means[None, :, :]  # (n, K, d)
        if self.cov_type == "full":
            assert self.eigvecs is not None  # stored for every "full" mixture
            # y = Q_k^T (x - mu_k), coordinates in the eigenbasis
            y = np.einsum("kji,nkj->nki", self.eigvecs, diff)
            scaled = y / self.eigvals[None]
            maha = np.einsum("nki,nki->nk", y, scaled)
        elif self.cov_type == "diagonal":
            scaled = diff / self.eigvals[None]
            maha = np.einsum("nki,nki->nk", diff, scaled)
        else:
            assert self.variances is not None  # stored for every "isotropic" mixture
            scaled = diff / self.variances[None, :, None]
            maha = np.einsum("nki,nki->nk", diff, scaled)
        log_joint = self.log_weights[None] - 0.5 * (
            self.dim * _LOG_2PI + self._log_det[None] + maha
        )
        return log_joint, (scaled if want_score else None)

    def _log_joint_differences(self, pts: np.ndarray) -> np.ndarray:
        """log(w_k N_k(x)) − log N_0-part, shape (n, K), for points whose squared Mahalanobis
        distances overflow: maha_k − maha_0 = x^T (P_k − P_0) x − 2 x^T (P_k mu_k − P_0 mu_0)
        + (mu_k^T P_k mu_k − mu_0^T P_0 mu_0), P_k = Sigma_k^{-1}, with x = c u (c = max |x_i|)
        so that only the quadratic term, when the precisions differ, can reach ±inf — and then
        the softmax of the log-joints is the exact 0/1 answer. Equal covariances give a finite
        linear difference wherever |x| < ~1e307."""
        if self.cov_type == "full":
            assert self.eigvecs is not None  # stored for every "full" mixture
            prec = np.einsum("kij,kj,klj->kil", self.eigvecs, 1.0 / self.eigvals, self.eigvecs)
        else:
            prec = np.zeros((self.n_components, self.dim, self.dim))
            idx = np.arange(self.dim)
            prec[:, idx, idx] = 1.0 / self.eigvals
        pm = np.einsum("kij,kj->ki", prec, self.means)  # P_k mu_k
        mpm = np.einsum("ki,ki->k", self.means, pm)
        c = np.max(np.abs(pts), axis=1)
        c = np.where(c > 0, c, 1.0)
        u = pts / c[:, None]
        with np.errstate(over="ignore", invalid="ignore"):
            quad = np.einsum("ni,kij,nj->nk", u, prec - prec[:1], u)
            quad = np.where(quad == 0, 0.0, c[:, None] * (c[:, None] * quad))
            lin = -2.0 * c[:, None] * np.einsum("ni,ki->nk", u, pm - pm[:1])
            dmaha = quad + lin + (mpm - mpm[0])[None]
        const = self.log_weights - 0.5 * self._log_det
        return const[None] - 0.5 * dmaha

    def log_prob(self, x: ArrayLike) -> np.ndarray | np.float64:
        """log q(x) = logsumexp_k [log w_k + log N(x; mu_k, Sigma_k)]; shape (n,) or scalar.

        Parameters
        ----------
        x : array_like
            Points, shape (d,) or (..., d); for d = 1 also a scalar or an (n,) array.

        Returns
        -------
        numpy.ndarray or numpy.float64
            log q, the points' shape without the last axis (a float for one point).

        Raises
        ------
        TypeError, ValueError
            ``x`` not real, not finite, or of the wrong last dimension.

        Examples
        --------
        >>> import math
        >>> q = GaussianMixture([1.0], [[0.0, 0.0]], 1.0)
        >>> math.isclose(q.log_prob([0.0, 0.0]), -math.log(2 * math.pi))
        True
        """
        pts, lead = self._points(x)
        out = np.empty(pts.shape[0])
        step = self._chunk()
        with np.errstate(over="ignore"):
            for i in range(0, pts.shape[0], step):
                lj, _ = self._log_joint(pts[i : i + step], want_score=False)
                out[i : i + step] = special.logsumexp(lj, axis=1)
        out = out.reshape(lead)
        return out[()] if out.ndim == 0 else out

    def score(self, x: ArrayLike) -> np.ndarray | np.float64:
        """grad log q(x) = -sum_k r_k(x) Sigma_k^{-1}(x - mu_k), r = softmax_k of log w_k N_k.

        Same shape as ``x``. Raises FloatingPointError rather than return a non-finite score.

        Parameters
        ----------
        x : array_like
            Points, shape (d,) or (..., d); for d = 1 also a scalar or an (n,) array.

        Returns
        -------
        numpy.ndarray or numpy.float64
            The score, the shape of ``x`` (a float for a scalar ``x``), in 1/units of x.

        Raises
        ------
        TypeError, ValueError
            ``x`` not real, not finite, or of the wrong last dimension.
        FloatingPointError
            The score is not representable in float64 at some point.

        Examples
        --------
        >>> GaussianMixture([1.0], [[1.0, 0.0]], 2.0).score([3.0, 1.0])
        array([-1. , -0.5])
        """
        pts, _ = self._points(x)
        out = np.empty_like(pts)
        step = self._chunk()
        with np.errstate(over="ignore", invalid="ignore"):
            for i in range(0, pts.shape[0], step):
                lj, scaled = self._log_joint(pts[i : i + step], want_score=True)
                far = ~np.isfinite(lj).any(axis=1)
                if far.any():
                    # ||x - mu_k||^2 overflowed: the differences of the log-joints are finite
                    lj[far] = self._log_joint_differences(pts[i : i + step][far])
                top = np.max(lj, axis=1, keepdims=True)
                lj = np.where(lj == top, 0.0, lj - top)  # ties at +inf share the mass
                resp = np.exp(lj)
                resp /= np.sum(resp, axis=1, keepdims=True)
                if self.cov_type == "full":
                    assert self.eigvecs is not None  # stored for every "full" mixture
                    # Sigma^{-1}(x - mu) = Q (y / lambda); sum over k weighted by r_k
                    out[i : i + step] = -np.einsum(
                        "kij,nkj->ni", self.eigvecs, resp[:, :, None] * scaled
                    )
                else:
                    out[i : i + step] = -np.einsum("nk,nki->ni", resp, scaled)
        if not np.all(np.isfinite(out)):
            raise FloatingPointError(
                "x: the score is not representable in float64 at some points (|x| or "
                "Sigma^{-1}(x - mu) too large)"
            )
        return out.reshape(np.shape(x))[()] if np.ndim(x) == 0 else out.reshape(np.shape(x))

    # -- sampling ----------------------------------------------------------------------------------

    def sample(self, n: int, seed: int | np.random.Generator) -> np.ndarray:
        """n i.i.d. draws, shape (n, d): k ~ w, x = mu_k + Q_k diag(sqrt(lambda_k)) z.

        ``seed``: an integer in [0, 2⁶⁴) (the package's one seed rule,
        ``simulators._validate.check_seed``), or an ``np.random.Generator`` whose stream is
        consumed; the global NumPy RNG is never used and ``None`` is refused.

        Parameters
        ----------
        n : int
            Number of draws, >= 1.
        seed : int or numpy.random.Generator
            See above.

        Returns
        -------
        numpy.ndarray
            Shape (n, d), float64.

        Raises
        ------
        TypeError, ValueError
            Naming ``n`` or ``seed``.

        Examples
        --------
        >>> GaussianMixture([1.0], [[0.0, 0.0]], 1.0).sample(5, seed=0).shape
        (5, 2)
        """
        n = _check_count("n", n)
        if isinstance(seed, np.random.Generator):
            rng = seed
        else:
            rng = np.random.default_rng(check_seed(seed))
        K, d = self.n_components, self.dim
        cum = np.cumsum(self._probs)
        u = rng.random(n) * cum[-1]
        comp = np.searchsorted(cum, u, side="right")
        last_positive = int(np.nonzero(self._probs > 0)[0][-1])
        np.minimum(comp, last_positive, out=comp)
        z = rng.standard_normal((n, d))
        scale = np.sqrt(self.eigvals)
        if self.cov_type == "full":
            assert self.eigvecs is not None  # stored for every "full" mixture
            x = np.empty((n, d))
            for k in range(K):
                sel = comp == k
                if np.any(sel):
                    x[sel] = (z[sel] * scale[k]) @ self.eigvecs[k].T
        else:
            x = z * scale[comp]
        x += self.means[comp]
        return x

    # -- projections and one-dimensional laws ---------------------------------------------

    def project(self, v: ArrayLike) -> GaussianMixture:
        """Law of <v, x>: the 1-D mixture with means <v, mu_k> and variances v^T Sigma_k v.

        Parameters
        ----------
        v : array_like
            A non-zero direction, shape (d,) (not normalised: <v, x> is taken as given).

        Returns
        -------
        GaussianMixture
            A 1-D, isotropic mixture with the weights of this one.

        Raises
        ------
        TypeError, ValueError
            ``v`` not real, of the wrong shape, or zero.

        Examples
        --------
        >>> q = GaussianMixture([1.0], [[1.0, 2.0]], [[1.0, 4.0]])
        >>> p = q.project([1.0, 1.0])
        >>> float(p.means[0, 0]), float(p.variances[0])
        (3.0, 5.0)
        """
        v = _real_array("v", v)
        if v.shape != (self.dim,):
            raise ValueError(f"v: expected shape ({self.dim},), got {v.shape}")
        if not np.any(v != 0):
            raise ValueError("v: must be a non-zero vector")
        if self.cov_type == "full":
            assert self.eigvecs is not None  # stored for every "full" mixture
            proj = np.einsum("kji,j->ki", self.eigvecs, v)  # Q_k^T v
            var = np.einsum("ki,ki->k", proj**2, self.eigvals)
        else:
            var = self.eigvals @ (v**2)
        return GaussianMixture(np.array(self.weights), self.means @ v, var)

    def _require_1d(self, name: str) -> None:
        if self.dim != 1:
            raise ValueError(
                f"{name}: defined for 1-D mixtures only (dim = {self.dim}); use project(v) first"
            )

    def _scalar_args(self, name: str, x):
        """Elementwise 1-D evaluation helper: (values, means (K,), stds (K,))."""
        self._require_1d(name)
        return _real_array(name, x, allow_inf=True), self.means[:, 0], np.sqrt(self.eigvals[:, 0])

    def pdf(self, x: ArrayLike) -> np.ndarray | np.float64:
        """1-D density q(x) = sum_k w_k phi((x - mu_k)/s_k)/s_k, elementwise (log-sum-exp).

        Parameters
        ----------
        x : array_like
            Points of a 1-D mixture, any shape (each entry one point).

        Returns
        -------
        numpy.ndarray or numpy.float64
            Elementwise, the shape of ``x`` (a float for a scalar).

        Raises
        ------
        TypeError, ValueError
            The mixture is not 1-D (ValueError), or ``x`` is not real (NaN refused).

        Examples
        --------
        >>> import math
        >>> math.isclose(GaussianMixture([1.0], [0.0], 1.0).pdf(0.0), 1 / math.sqrt(2 * math.pi))
        True
        """
        return np.exp(self.logpdf(x))

    def logpdf(self, x: ArrayLike) -> np.ndarray | np.float64:
        """1-D log density log q(x), elementwise over any array shape.

        Parameters
        ----------
        x : array_like
            Points of a 1-D mixture, any shape (each entry one point).

        Returns
        -------
        numpy.ndarray or numpy.float64
            Elementwise, the shape of ``x`` (a float for a scalar).

        Raises
        ------
        TypeError, ValueError
            The mixture is not 1-D (ValueError), or ``x`` is not real (NaN refused).
        """
        arr, mu, s = self._scalar_args("x", x)
        z = (arr[..., None] - mu) / s
        terms = self.log_weights - np.log(s) - 0.5 * _LOG_2PI - 0.5 * z * z
        out = special.logsumexp(terms, axis=-1)
        return out[()] if out.ndim == 0 else out

    def cdf(self, x: ArrayLike) -> np.ndarray | np.float64:
        """1-D distribution function F(x) = sum_k w_k Phi((x - mu_k)/s_k), elementwise.

        Parameters
        ----------
        x : array_like
            Points of a 1-D mixture, any shape (each entry one point).

        Returns
        -------
        numpy.ndarray or numpy.float64
            Elementwise, the shape of ``x`` (a float for a scalar).

        Raises
        ------
        TypeError, ValueError
            The mixture is not 1-D (ValueError), or ``x`` is not real (±inf allowed, NaN refused).

        Examples
        --------
        >>> GaussianMixture([0.5, 0.5], [-1.0, 1.0], 1.0).cdf([0.0, float("inf")])
        array([0.5, 1. ])
        """
        arr, mu, s = self._scalar_args("x", x)
        out = special.ndtr((arr[..., None] - mu) / s) @ self._probs
        return out[()] if out.ndim == 0 else out

    def sf(self, x: ArrayLike) -> np.ndarray | np.float64:
        """1-D survival function 1 - F(x) = sum_k w_k Phi((mu_k - x)/s_k), accurate in the tail.

        Parameters
        ----------
        x : array_like
            Points of a 1-D mixture, any shape (each entry one point).

        Returns
        -------
        numpy.ndarray or numpy.float64
            Elementwise, the shape of ``x`` (a float for a scalar).

        Raises
        ------
        TypeError, ValueError
            The mixture is not 1-D (ValueError), or ``x`` is not real (±inf allowed, NaN refused).
        """
        arr, mu, s = self._scalar_args("x", x)
        out = special.ndtr((mu - arr[..., None]) / s) @ self._probs
        return out[()] if out.ndim == 0 else out

    def quantile(self, p: ArrayLike) -> np.ndarray | np.float64:
        """1-D quantile F^{-1}(p), elementwise (safeguarded Newton on log F or log(1 - F)).

        The root is bracketed by the component quantiles min_k / max_k (mu_k + s_k Phi^{-1}(p));
        p <= 1/2 solves log F(x) = log p, p > 1/2 solves log S(x) = log(1 - p) (S = 1 - F), so
        both tails keep full relative precision. Converged to |dx| <= 4 eps |x| + 1e-15 min_k s_k
        wherever the quantile is well conditioned (q(x) not negligible against min(p, 1 - p));
        inside an empty gap between far-apart components any x with F(x) == p in float64 is
        returned. p = 0 and p = 1 give -inf and +inf.

        Parameters
        ----------
        p : array_like
            Probabilities in [0, 1], any shape.

        Returns
        -------
        numpy.ndarray or numpy.float64
            Elementwise, the shape of ``p`` (a float for a scalar).

        Raises
        ------
        TypeError, ValueError
            The mixture is not 1-D, or ``p`` is not real (TypeError) or outside [0, 1].

        Examples
        --------
        >>> GaussianMixture([0.5, 0.5], [-1.0, 1.0], 1.0).quantile([0.0, 0.5])
        array([-inf,   0.])
        """
        return self._inverse("p", p, upper=False)

    def isf(self, q: ArrayLike) -> np.ndarray | np.float64:
        """1-D inverse survival function S^{-1}(q): the x with P(X > x) = q, elementwise.

        Solved on log S(x) = log q directly (never through ``quantile(1 - q)``, which loses
        every digit of q below float64's resolution of 1 - q): q = 1e-12 gives the threshold of
        mass exactly 1e-12. Same accuracy and bracketing as ``quantile``; q = 0 and q = 1 give
        +inf and -inf. Raises ValueError naming ``q`` outside [0, 1].

        Parameters
        ----------
        q : array_like
            Tail probabilities in [0, 1], any shape.

        Returns
        -------
        numpy.ndarray or numpy.float64
            Elementwise, the shape of ``q`` (a float for a scalar).

        Raises
        ------
        TypeError, ValueError
            The mixture is not 1-D, or ``q`` is not real (TypeError) or outside [0, 1].

        Examples
        --------
        >>> import math
        >>> math.isclose(GaussianMixture([1.0], [0.0], 1.0).isf(1e-12), 7.034483825, rel_tol=1e-9)
        True
        """
        return self._inverse("q", q, upper=True)

    def _inverse(self, name: str, prob, *, upper: bool):
        """``quantile`` (upper=False: F⁻¹(prob)) or ``isf`` (upper=True: S⁻¹(prob)), checking
        ``prob`` (named ``name``) in [0, 1]; the ends map to ∓inf (±inf for ``isf``)."""
        self._require_1d(name)
        arr = _real_array(name, prob)
        if np.any((arr < 0) | (arr > 1)):
            raise ValueError(f"{name}: probabilities must lie in [0, 1]")
        flat = arr.ravel()
        out = np.empty_like(flat)
        out[flat == 0] = np.inf if upper else -np.inf
        out[flat == 1] = -np.inf if upper else np.inf
        inner = np.nonzero((flat > 0) & (flat < 1))[0]
        if inner.size:
            out[inner] = (self._quantile_inner(None, upper_tail=flat[inner]) if upper
                          else self._quantile_inner(flat[inner]))
        out = out.reshape(arr.shape)
        return out[()] if out.ndim == 0 else out

    def _quantile_inner(self, p: np.ndarray | None, upper_tail=None) -> np.ndarray:
        mu, s = self.means[:, 0], np.sqrt(self.eigvals[:, 0])
        logw = self.log_weights
        if upper_tail is not None:  # isf: solve log S(x) = log q
            upper = np.ones(upper_tail.shape, dtype=bool)
            log_target = np.log(upper_tail)
            comp_q = mu - s * special.ndtri(upper_tail)[:, None]
        else:
            assert p is not None  # one of p and upper_tail is given
            upper = p > 0.5
            log_target = np.log(np.where(upper, 1.0 - p, p))  # 1 - p is exact for p > 1/2
            comp_q = mu + s * special.ndtri(p)[:, None]
        lo = comp_q.min(axis=1)
        hi = comp_q.max(axis=1)
        x = np.where(lo == hi, lo, 0.5 * (lo + hi))
        active = lo < hi
        dx_old = hi - lo  # rtsafe: bisect when Newton does not halve the step of two ago
        dx = dx_old.copy()
        eps = np.finfo(np.float64).eps
        tiny = 1e-300 + 1e-15 * s.min()
        for _ in range(500):
            if not np.any(active):
                break
            idx = np.nonzero(active)[0]
            xa, up = x[idx], upper[idx]
            z = (xa[:, None] - mu) / s
            # g(x) increasing, zero at the quantile; dg = g'(x) = q(x) / F(x) or q(x) / S(x)
            log_tail = special.logsumexp(
                logw + special.log_ndtr(np.where(up[:, None], -z, z)), axis=1
            )
            g = np.where(up, log_target[idx] - log_tail, log_tail - log_target[idx])
            log_pdf = special.logsumexp(logw - np.log(s) - 0.5 * _LOG_2PI - 0.5 * z * z, axis=1)
            dg = np.exp(log_pdf - log_tail)
            lo[idx] = np.where(g <= 0, xa, lo[idx])
            hi[idx] = np.where(g >= 0, xa, hi[idx])
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                newton = xa - g / dg
            ok = (
                np.isfinite(newton)
                & (newton > lo[idx])
                & (newton < hi[idx])
                & (np.abs(newton - xa) <= 0.5 * np.abs(dx_old[idx]))
            )
            nxt = np.where(ok, newton, 0.5 * (lo[idx] + hi[idx]))
            dx_old[idx] = dx[idx]
            dx[idx] = nxt - xa
            tol = 4 * eps * np.abs(nxt) + tiny
            done = (g == 0) | (np.abs(nxt - xa) <= tol) | (hi[idx] - lo[idx] <= tol)
            x[idx] = np.where(g == 0, xa, nxt)
            active[idx[done]] = False
        if np.any(active):  # pragma: no cover - the bracket halves at least every other step
            raise FloatingPointError("p: quantile iteration did not converge")
        return x

    # -- configs -----------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """Plain-Python config {weights, means, cov_type, covariances}, structure preserved.

        Returns
        -------
        dict
            Lists of floats under "weights", "means", "covariances" (variances (K,) or (K, d),
            or full matrices (K, d, d)) and the "cov_type" string.

        Examples
        --------
        >>> GaussianMixture([1.0], [[0.0]], 2.0).to_dict()
        {'weights': [1.0], 'means': [[0.0]], 'cov_type': 'isotropic', 'covariances': [2.0]}
        """
        if self.cov_type == "full":
            cov = self.covariance_matrices()
        else:
            assert self.variances is not None  # stored for every non-"full" mixture
            cov = self.variances
        return {
            "weights": self.weights.tolist(),
            "means": self.means.tolist(),
            "cov_type": self.cov_type,
            "covariances": cov.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> GaussianMixture:
        """Inverse of ``to_dict``; ``cov_type``, when present, must match the covariances.

        Parameters
        ----------
        data : Mapping
            Keys "weights", "means", "covariances" and optionally "cov_type".

        Returns
        -------
        GaussianMixture

        Raises
        ------
        TypeError
            ``data`` is not a mapping.
        ValueError
            Missing or unknown keys, a mismatched ``cov_type``, or invalid values (as the
            constructor).
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"data: expected a mapping, got {type(data).__name__}")
        required = {"weights", "means", "covariances"}
        missing = required - set(data)
        if missing:
            raise ValueError(f"data: missing keys {sorted(missing)}")
        extra = set(data) - required - {"cov_type"}
        if extra:
            raise ValueError(f"data: unknown keys {sorted(extra)}")
        mixture = cls(data["weights"], data["means"], data["covariances"])
        cov_type = data.get("cov_type", mixture.cov_type)
        if cov_type != mixture.cov_type:
            raise ValueError(
                f"data: cov_type {cov_type!r} does not match the covariances ({mixture.cov_type!r})"
            )
        return mixture

    def to_json(self) -> str:
        """JSON text of ``to_dict()`` (floats round-trip exactly).

        Returns
        -------
        str
        """
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, s: str | bytes) -> GaussianMixture:
        """Inverse of ``to_json``.

        Parameters
        ----------
        s : str or bytes
            JSON text of a config (see :meth:`to_dict`).

        Returns
        -------
        GaussianMixture

        Raises
        ------
        TypeError
            ``s`` is not text.
        ValueError
            ``s`` is not valid JSON or not a valid config.

        Examples
        --------
        >>> q = GaussianMixture([0.3, 0.7], [[0.0], [1.0]], [0.5, 2.0])
        >>> GaussianMixture.from_json(q.to_json()).to_dict() == q.to_dict()
        True
        """
        if not isinstance(s, (str, bytes, bytearray)):
            raise TypeError(f"s: expected JSON text, got {type(s).__name__}")
        try:
            data = json.loads(s)
        except json.JSONDecodeError as exc:
            raise ValueError(f"s: not valid JSON ({exc})") from None
        return cls.from_dict(data)
