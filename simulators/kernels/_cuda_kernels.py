"""CUDA kernels, imported only when backend="cuda" is used.

``numba.cuda`` is a module global here (not a closure variable) so that the CUDA simulator can
substitute its fake module inside kernels. The step math comes from
``simulators.kernels._math``; this module only lays out threads: one thread per particle, holding
a block of one lane — its state and work arrays in ``cuda.local`` arrays of compile-time shape
``(d, 1)`` — so the lane loops of the shared math run once.
"""

from __future__ import annotations

import contextlib
import math
from functools import cache
from types import SimpleNamespace

import numba
import numpy as np
from numba import cuda

from diffbounds.simulators.kernels._math import NW, PKEY, build


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
        log=math.log, sqrt=math.sqrt, exp=math.exp, cos=math.cos, lanes=range,
        vectorized=False,
    )
    return build(lib)


math_for = cache(_build_math)


@cache
def program_kernel(family: str, dtype: str, d: int, n_params: int, two_stage: bool = False):
    return _program_kernel(math_for(dtype), family, d, n_params, two_stage)


def _program_kernel(ns, family, d: int, n_params: int, two_stage: bool = False):
    step = ns.make_step(ns.family(family), two_stage)
    seed_key, particle_key = ns.seed_key, ns.particle_key
    F, U = ns.F, ns.U
    nbF = numba.float32 if F is np.float32 else numba.float64
    D = d
    D2 = d if two_stage else 1

    @cuda.jit(device=True)
    def body(X, k0, k1, seed, coefs, P, particle_offset):
        i = cuda.grid(1)
        if i >= X.shape[0]:
            return
        x = cuda.local.array((D, 1), nbF)
        out = cuda.local.array((D, 1), nbF)
        tmp = cuda.local.array((D, 1), nbF)
        y = cuda.local.array((D2, 1), nbF)
        s2 = cuda.local.array((D2, 1), nbF)
        W = cuda.local.array((NW, 1), nbF)
        keys = cuda.local.array((2, 1), numba.uint64)
        J = cuda.local.array(1, numba.int64)
        for j in range(D):
            x[j, 0] = X[i, j]
        keys[PKEY, 0] = particle_key(seed_key(U(seed)), U(i + particle_offset))
        for k in range(k0, k1):
            step(x, out, tmp, y, s2, W, keys, J, P, k, coefs, 1)
        for j in range(D):
            X[i, j] = x[j, 0]

    # Kernels take arrays, not tuples of arrays: generate a signature with n_params arrays and
    # rebuild the tuple the shared math expects.
    names = ", ".join(f"p{i}" for i in range(n_params))
    src = (f"def run(X, k0, k1, seed, coefs, {names}, particle_offset):\n"
           f"    body(X, k0, k1, seed, coefs, ({names},), particle_offset)\n")
    scope = {"body": body}
    exec(src, scope)  # noqa: S102 - a fixed template; only the arity varies
    return cuda.jit(scope["run"])


@cache
def update_kernel(dtype: str, d: int):
    return _update_kernel(math_for(dtype), d)


def _update_kernel(ns, d: int):
    update, seed_key, particle_key, step_keys_into = (ns.update, ns.seed_key, ns.particle_key,
                                                      ns.step_keys_into)
    F, U = ns.F, ns.U
    nbF = numba.float32 if F is np.float32 else numba.float64
    D = d

    @cuda.jit
    def run(X, S, k, seed, coefs, particle_offset):
        i = cuda.grid(1)
        if i < X.shape[0]:
            x = cuda.local.array((D, 1), nbF)
            s = cuda.local.array((D, 1), nbF)
            W = cuda.local.array((NW, 1), nbF)
            keys = cuda.local.array((2, 1), numba.uint64)
            J = cuda.local.array(1, numba.int64)
            for j in range(D):
                x[j, 0] = X[i, j]
                s[j, 0] = S[i, j]
            keys[PKEY, 0] = particle_key(seed_key(U(seed)), U(i + particle_offset))
            step_keys_into(keys, k, 1)
            update(x, s, F(coefs[k, 0]), F(coefs[k, 1]), F(coefs[k, 2]), keys, W, J, 1)
            for j in range(D):
                X[i, j] = x[j, 0]

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


def compile_ptx(family, dtype: str, params, d: int, cc=(9, 0), two_stage: bool = False) -> str:
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
    two_stage : compile the two-stage (Heun) step instead of the one-stage update.

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
            kernel = _update_kernel(ns, d)
            sig = (state, state, numba.int64, numba.uint64, coefs, numba.int64)
        else:
            kernel = _program_kernel(ns, family, d, len(params), two_stage)
            sig = ((state, numba.int64, numba.int64, numba.uint64, coefs)
                   + tuple(numba.typeof(np.ascontiguousarray(p)) for p in params)
                   + (numba.int64,))
        ptx, _ = cuda.compile(kernel.py_func, sig, device=False, cc=tuple(cc), output="ptx",
                              abi="numba")
    return ptx
