"""CUDA kernels, imported only when backend="cuda" is used.

``numba.cuda`` is a module global here (not a closure variable) so that the CUDA simulator can
substitute its fake module inside kernels. The per-particle math comes from
``simulators.kernels._math``; this module only lays out threads: one thread per particle, its
state in ``cuda.local`` arrays of compile-time size d.
"""

from __future__ import annotations

import contextlib
import math
from functools import cache
from types import SimpleNamespace

import numba
import numpy as np
from numba import cuda

from diffbounds.simulators.kernels._math import build


def _build_math(dtype: str) -> SimpleNamespace:
    F = np.dtype(dtype).type
    jit = cuda.jit(device=True)
    nbF = numba.float32 if F is np.float32 else numba.float64

    def _where(c, a, b):
        return a if c else b

    def _to_float(u):
        return nbF(u)

    lib = SimpleNamespace(
        U=np.uint64, F=F, jit=jit, to_float=jit(_to_float), where=jit(_where),
        log=math.log, sqrt=math.sqrt, exp=math.exp, cos=math.cos, vectorized=False,
    )
    return build(lib)


math_for = cache(_build_math)


@cache
def program_kernel(family: str, dtype: str, d: int, n_params: int):
    return _program_kernel(math_for(dtype), family, d, n_params)


def _program_kernel(ns, family, d: int, n_params: int):
    score_fn = ns.family(family)
    update, seed_key, particle_key, step_key = ns.update, ns.seed_key, ns.particle_key, ns.step_key
    F, U = ns.F, ns.U
    nbF = numba.float32 if F is np.float32 else numba.float64
    D = d

    @cuda.jit(device=True)
    def body(X, k0, k1, seed, coefs, P, particle_offset):
        i = cuda.grid(1)
        if i >= X.shape[0]:
            return
        x = cuda.local.array(D, nbF)
        out = cuda.local.array(D, nbF)
        tmp = cuda.local.array(D, nbF)
        for j in range(D):
            x[j] = X[i, j]
        pkey = particle_key(seed_key(U(seed)), U(i + particle_offset))
        for k in range(k0, k1):
            score_fn(x, out, tmp, P, k, pkey)
            update(x, out, F(coefs[k, 0]), F(coefs[k, 1]), F(coefs[k, 2]), step_key(pkey, U(k)))
        for j in range(D):
            X[i, j] = x[j]

    # Kernels take arrays, not tuples of arrays: generate a signature with n_params arrays and
    # rebuild the tuple the shared math expects.
    names = ", ".join(f"p{i}" for i in range(n_params))
    src = (f"def run(X, k0, k1, seed, coefs, {names}, particle_offset):\n"
           f"    body(X, k0, k1, seed, coefs, ({names},), particle_offset)\n")
    scope = {"body": body}
    exec(src, scope)  # noqa: S102 - a fixed template; only the arity varies
    return cuda.jit(scope["run"])


@cache
def update_kernel(dtype: str):
    return _update_kernel(math_for(dtype))


def _update_kernel(ns):
    update, seed_key, particle_key, step_key = ns.update, ns.seed_key, ns.particle_key, ns.step_key
    F, U = ns.F, ns.U

    @cuda.jit
    def run(X, S, k, seed, coefs, particle_offset):
        i = cuda.grid(1)
        if i < X.shape[0]:
            pkey = particle_key(seed_key(U(seed)), U(i + particle_offset))
            update(X[i], S[i], F(coefs[k, 0]), F(coefs[k, 1]), F(coefs[k, 2]),
                   step_key(pkey, U(k)))

    return run




# ---------------------------------------------------------------- PTX without a device
@contextlib.contextmanager
def _device_functions_target(cc):
    """Let device functions compile for ``cc`` without a driver.

    numba-cuda 0.30.4 compiles each ``cuda.jit(device=True)`` function called from a kernel
    through ``CUDADispatcher.compile_device``, which asks ``get_current_device()`` for the
    compute capability (``numba/cuda/dispatcher.py``), even inside ``cuda.compile(..., cc=...)``
    whose target is explicit: with no driver that raises CudaSupportError ("CUDA driver library
    cannot be found"). This supplies the requested ``cc`` instead, for the duration of one
    compile of freshly built device functions (their overloads are keyed by argument types
    only, so they must not be shared with kernels that later run on a device).
    """
    from numba.cuda import dispatcher

    saved = dispatcher.get_current_device
    dispatcher.get_current_device = lambda: SimpleNamespace(compute_capability=tuple(cc))
    try:
        yield
    finally:
        dispatcher.get_current_device = saved


def compile_ptx(family, dtype: str, params, d: int, cc=(9, 0)) -> str:
    """PTX of the program kernel of ``family`` (``family=None``: the generic-path update
    kernel) for compute capability ``cc``, compiled without a GPU or driver (needs libNVVM:
    ``pip install 'diffbounds[cuda]'``).

    Parameters
    ----------
    family : a kernel family key (as ``KernelScore.kernel_program`` returns) or None.
    dtype : "float32" or "float64".
    params : the family's parameter arrays (their Numba types make the signature).
    d : the dimension (a compile-time constant of the program kernel).
    cc : (major, minor) compute capability.

    Returns
    -------
    str
        The PTX text (``.target sm_<major><minor>``).
    """
    nb_f = numba.from_dtype(np.dtype(dtype))
    state = numba.types.Array(nb_f, 2, "C")
    coefs = numba.types.Array(numba.float64, 2, "C")
    with _device_functions_target(cc):
        ns = _build_math(dtype)  # fresh device functions, never shared with run-time kernels
        if family is None:
            kernel = _update_kernel(ns)
            sig = (state, state, numba.int64, numba.uint64, coefs, numba.int64)
        else:
            kernel = _program_kernel(ns, family, d, len(params))
            sig = ((state, numba.int64, numba.int64, numba.uint64, coefs)
                   + tuple(numba.typeof(np.ascontiguousarray(p)) for p in params)
                   + (numba.int64,))
        ptx, _ = cuda.compile(kernel.py_func, sig, device=False, cc=tuple(cc), output="ptx",
                              abi="numba")
    return ptx
