"""The Numba CPU target: the shared step math compiled with ``njit``, SIMD across particles.

Layout (``_math`` module docstring): particles are processed in blocks of ``BLOCK`` lanes, one
block per ``prange`` iteration. A block is copied into coordinate-major ``(d, BLOCK)`` work arrays
and runs *all* the steps of a call while it stays in cache; inside the step math every innermost
loop runs over the block's contiguous lanes, which LLVM vectorizes (AVX2: 4 float64 / 8 float32
lanes; AVX-512: 8 / 16). For that the transcendental functions of the step math are written here
as inlined, branch-free polynomials on the bits of the float (``exp_poly``, ``log_poly``): a libm
call inside a loop cannot be vectorized (llvmlite has no SVML/libmvec). Fast-math is limited to
``{contract, nsz, arcp}``: ``reassoc`` would undo the range reductions, ``nnan``/``ninf`` would
break the finiteness checks, ``afn`` would let LLVM substitute approximations.

Results do not depend on the thread count or batch size: the noise of (particle, step,
coordinate) is a pure function of those numbers and no operation mixes lanes.
"""

from __future__ import annotations

import contextlib
import math
import threading
from functools import cache
from types import SimpleNamespace

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from diffbounds.simulators.kernels._cache import load_module
from diffbounds.simulators.kernels._math import build, is_two_stage

_FASTMATH = {"contract", "nsz"}
#: lanes per block: a block's (d, BLOCK) state, score, scratch and work arrays stay in L1/L2
BLOCK = 128


# ---------------------------------------------------------------- bit casts (float <-> int)
def _bitcast(src, dst, llvm_dst):
    @intrinsic
    def cast(typingctx, x):
        if x != src:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], llvm_dst)

        return dst(src), codegen

    return cast


f64_as_i64 = _bitcast(types.float64, types.int64, ir.IntType(64))
i64_as_f64 = _bitcast(types.int64, types.float64, ir.DoubleType())
f32_as_i32 = _bitcast(types.float32, types.int32, ir.IntType(32))
i32_as_f32 = _bitcast(types.int32, types.float32, ir.FloatType())


# ---------------------------------------------------------------- 512-bit vectors
@intrinsic
def prefer_512_bit_vectors(typingctx):
    """Mark the function being compiled with LLVM's ``"prefer-vector-width"="512"``.

    LLVM's tuning for most AVX-512 CPUs (Skylake-X, Ice Lake, ...) prefers 256-bit vectors; on
    this workload 512-bit vectors measured 1.4× (float64) and 1.8× (float32) faster (issue 11).
    The attribute is per function, so only these kernels are affected (setting
    ``NUMBA_CPU_FEATURES`` would change every Numba function of the process). Called inside a
    ``prange`` body it marks the parallel loop's outlined function. llvmlite's attribute set
    only validates *enum* attributes, so the string attribute is added to the set directly.
    """
    def codegen(context, builder, signature, args):
        set.add(builder.function.attributes, '"prefer-vector-width"="512"')
        return context.get_dummy_value()

    return types.none(), codegen


def _compile_features() -> str:
    """The CPU features Numba compiles for (``NUMBA_CPU_FEATURES``, else the host's)."""
    import llvmlite.binding as ll
    from numba.core import config

    features = getattr(config, "CPU_FEATURES", None)  # set by Numba from the environment
    name = getattr(config, "CPU_NAME", None)
    if features is not None:
        return str(features)
    if name is not None and name != "host":
        return ""  # an explicit CPU name without features: its defaults, not the host's
    return ll.get_host_cpu_features().flatten()


def vector_width_bits() -> int:
    """Width of the SIMD vectors the CPU kernels are compiled for: 512 where the target has
    AVX-512F (detected at run time from the features Numba compiles for; set
    ``DIFFBOUNDS_VECTOR_BITS=256`` to keep LLVM's default preference), else 256 (AVX2) or 128."""
    import os

    features = set(_compile_features().split(","))
    if "+avx512f" in features and os.environ.get("DIFFBOUNDS_VECTOR_BITS", "") != "256":
        return 512
    return 256 if "+avx2" in features else 128


def compiled_vector_width_bits() -> dict:
    """The SIMD width the kernels' code actually uses on this machine (a measurement, for the
    benchmark record): a probe loop ``a[i] = a[i] * 2 + 1`` compiled in memory exactly like the
    kernels (their fast-math flags, and the 512-bit preference when ``vector_width_bits()`` is
    512), read from its assembly.

    Returns
    -------
    dict
        ``bits``: 512 when a ``zmm`` register appears, 256 for ``ymm``, 128 for packed ``xmm``
        code, 64 for scalar code only, None when the assembly is unavailable;
        ``register_counts``: occurrences of zmm/ymm/xmm registers in the probe's assembly.
    """
    import re

    wide = vector_width_bits() == 512

    @numba.njit(fastmath=_FASTMATH)
    def probe(a):
        if wide:
            prefer_512_bit_vectors()
        for i in range(a.shape[0]):
            a[i] = a[i] * 2.0 + 1.0

    probe(np.ones(64))
    try:
        asm = "\n".join(probe.inspect_asm().values())
    except Exception:  # an exotic build without assembly output
        return {"bits": None, "register_counts": None}
    counts = {r: len(re.findall(rf"\b{r}\d+\b", asm)) for r in ("zmm", "ymm", "xmm")}
    bits = (512 if counts["zmm"] else 256 if counts["ymm"]
            else 128 if re.search(r"\b\w+pd\s+%?xmm", asm) else 64)
    return {"bits": bits, "register_counts": counts}


# ---------------------------------------------------------------- polynomial exp and log
def _poly_functions(dtype: str):
    """``(exp_poly, log_poly)`` for ``dtype``, inlined and branch-free.

    * ``exp_poly(x)`` for x ∈ [−708, 0] (float64) / [−87, 0] (float32) — the step math only takes
      ``exp`` of −|Δ| ≥ −CUT: Cody–Waite reduction x = n ln 2 + r, |r| ≤ ln2/2, with n rounded by
      the 1.5·2^52 (2^23) shifter, the Taylor polynomial of e^r to degree 13 (7), whose
      truncation error r^14/14! ≤ 1.3e-17 (r^8/8! ≤ 5.3e-9) is below half an ulp, and 2^n built
      in the exponent bits.
    * ``log_poly(x)`` for positive normal x: x = 2^e m with m ∈ [√½, √2), log m = 2 atanh(s),
      s = (m − 1)/(m + 1), |s| ≤ 0.1716, by its odd series to s^23 (s^11), truncation ≤ 3e-18
      (≤ 2e-9) relative.

    Both are checked against ``math.exp``/``math.log`` to a few ulp (tests/simulators/
    test_cpu_kernels.py).
    """
    jit = numba.njit(inline="always", fastmath=_FASTMATH)
    single = dtype == "float32"
    F = np.float32 if single else np.float64
    I = np.int32 if single else np.int64  # noqa: E741
    to_bits, from_bits = (f32_as_i32, i32_as_f32) if single else (f64_as_i64, i64_as_f64)
    mant_bits, bias = (23, 127) if single else (52, 1023)
    shifter = F(1.5 * 2.0**mant_bits)
    shifter_bits = I(np.array(shifter, dtype=F).view(I))
    MB, BIAS = I(mant_bits), I(bias)
    MANT = I((1 << mant_bits) - 1)
    ONE_BITS = I(bias << mant_bits)
    EMASK = I((1 << (8 if single else 11)) - 1)
    INVLN2 = F(1.0 / math.log(2.0))
    if single:  # Cephes expf/logf split of ln 2
        LN2HI, LN2LO = F(0.693359375), F(-2.12194440e-4)
    else:  # fdlibm: ln2_hi has 32 significant bits, so n·ln2_hi is exact
        LN2HI, LN2LO = F(6.93147180369123816490e-01), F(1.90821492927058770002e-10)
    # coefficients in Horner order (highest degree first)
    T = tuple(F(1.0 / math.factorial(i)) for i in range(7 if single else 13, -1, -1))
    LC = tuple(F(2.0 / (2 * i + 1)) for i in range(5 if single else 11, -1, -1))
    SQRT2, ONE, HALF = F(math.sqrt(2.0)), F(1.0), F(0.5)

    @jit
    def exp_poly(x):
        t = x * INVLN2 + shifter
        n = t - shifter
        r = (x - n * LN2HI) - n * LN2LO
        p = T[0]
        for i in range(1, len(T)):
            p = p * r + T[i]
        return p * from_bits(I((to_bits(t) - shifter_bits + BIAS) << MB))

    @jit
    def log_poly(x):
        b = to_bits(x)
        e = ((b >> MB) & EMASK) - BIAS
        m = from_bits(I((b & MANT) | ONE_BITS))
        big = m > SQRT2
        m = m * HALF if big else m
        e = e + I(1) if big else e
        s = (m - ONE) / (m + ONE)
        s2 = s * s
        p = LC[0]
        for i in range(1, len(LC)):
            p = p * s2 + LC[i]
        fe = F(e)
        return fe * LN2HI + (s * p + fe * LN2LO)

    return exp_poly, log_poly


def _where(c, a, b):
    return a if c else b


#: largest dimension compiled as a constant (the FUSED per-lane bodies of ``_math``); larger d
#: run the lane-inner code, whose loops over coordinates are outside the lane loops
FUSED_MAX_D = 16


def fused_dim(d: int | None) -> int | None:
    """The compile-time dimension of the kernels for dimension ``d`` (None: generic code)."""
    return d if d is not None and 1 <= d <= FUSED_MAX_D else None


@cache
def math_for(dtype: str, d: int | None = None) -> SimpleNamespace:
    """The step math for ``dtype``, specialised to the dimension ``d`` when ``fused_dim(d)``."""
    F = np.dtype(dtype).type
    jit = numba.njit(inline="always", fastmath=_FASTMATH, error_model="numpy")
    exp_poly, log_poly = _poly_functions(np.dtype(dtype).name)
    lib = SimpleNamespace(
        U=np.uint64,
        F=F,
        jit=jit,
        to_float=jit(lambda u: F(u)),
        where=jit(_where),
        lanes=range,
        log=log_poly,
        sqrt=math.sqrt,
        exp=exp_poly,
        cos=math.cos,
        vectorized=False,
        D=fused_dim(d),
    )
    ns = build(lib)
    ns.exp_poly, ns.log_poly = exp_poly, log_poly
    return ns


# The kernels are generated modules (``_cache``): module-level ``@njit(cache=True)`` drivers
# whose step math comes from ``math_for`` through module globals, so Numba can cache them on disk.
_HEADER = """\
# Generated by diffbounds.simulators.kernels.cpu; do not edit (the on-disk kernel cache).
import numba
import numpy as np

from diffbounds.simulators.kernels import cpu as _cpu
from diffbounds.simulators.kernels._math import NW, PKEY, Z

CACHE = True
WIDE = {wide!r}  # mark the kernels "prefer-vector-width"="512" (``cpu.vector_width_bits``)
B = _cpu.BLOCK
_ns = _cpu.math_for({dtype!r}, {dim!r})
update, seed_key, particle_key, step_keys_into = (_ns.update, _ns.seed_key, _ns.particle_key,
                                                  _ns.step_keys_into)
normals_into = _ns.normals_into
F, U = _ns.F, _ns.U
"""

_PROGRAM = _HEADER + """\
score_fn = _ns.family({family!r})
step = _ns.make_step(score_fn, {two_stage!r})
TWO_STAGE = {two_stage!r}


@numba.njit(fastmath=_cpu._FASTMATH, error_model="numpy", inline="always")
def _run_block(X, k0, k1, skey, coefs, P, particle_offset, b):
    n, d = X.shape
    d2 = d if TWO_STAGE else 0
    i0 = b * B
    L = min(B, n - i0)
    x = np.empty((d, B), dtype=F)
    out = np.empty((d, B), dtype=F)
    tmp = np.empty((d, B), dtype=F)
    y = np.empty((d2, B), dtype=F)
    s2 = np.empty((d2, B), dtype=F)
    W = np.empty((NW, B), dtype=F)
    keys = np.empty((2, B), dtype=U)
    J = np.empty(B, dtype=np.int64)
    for j in range(d):
        for i in range(L):
            x[j, i] = X[i0 + i, j]
    for i in range(L):
        keys[PKEY, i] = particle_key(skey, U(i0 + i + particle_offset))
    for k in range(k0, k1):
        step(x, out, tmp, y, s2, W, keys, J, P, k, coefs, L)
    for j in range(d):
        for i in range(L):
            X[i0 + i, j] = x[j, i]


@numba.njit(parallel=True, fastmath=_cpu._FASTMATH, error_model="numpy", cache=CACHE)
def run(X, k0, k1, seed, coefs, P, particle_offset):
    skey = seed_key(U(seed))
    for b in numba.prange((X.shape[0] + B - 1) // B):
        if WIDE:
            _cpu.prefer_512_bit_vectors()
        _run_block(X, k0, k1, skey, coefs, P, particle_offset, b)


@numba.njit(fastmath=_cpu._FASTMATH, error_model="numpy", cache=CACHE)
def run_serial(X, k0, k1, seed, coefs, P, particle_offset):
    if WIDE:
        _cpu.prefer_512_bit_vectors()
    skey = seed_key(U(seed))
    for b in range((X.shape[0] + B - 1) // B):
        _run_block(X, k0, k1, skey, coefs, P, particle_offset, b)


@numba.njit(fastmath=_cpu._FASTMATH, error_model="numpy", inline="always")
def _evaluate_block(X, out, P, k, i0, L):
    d = X.shape[1]
    x = np.empty((d, B), dtype=F)
    s = np.empty((d, B), dtype=F)
    tmp = np.empty((d, B), dtype=F)
    W = np.empty((NW, B), dtype=F)
    for j in range(d):
        for i in range(L):
            x[j, i] = X[i0 + i, j]
    score_fn(x, s, tmp, W, P, k, L)
    for j in range(d):
        for i in range(L):
            out[i0 + i, j] = s[j, i]


@numba.njit(parallel=True, fastmath=_cpu._FASTMATH, error_model="numpy", cache=CACHE)
def evaluate(X, out, P, k):
    n = X.shape[0]
    for b in numba.prange((n + B - 1) // B):
        if WIDE:
            _cpu.prefer_512_bit_vectors()
        _evaluate_block(X, out, P, k, b * B, min(B, n - b * B))


@numba.njit(fastmath=_cpu._FASTMATH, error_model="numpy", cache=CACHE)
def evaluate_serial(X, out, P, k):
    if WIDE:
        _cpu.prefer_512_bit_vectors()
    n = X.shape[0]
    for b in range((n + B - 1) // B):
        _evaluate_block(X, out, P, k, b * B, min(B, n - b * B))
"""

_UPDATE = _HEADER + """\


@numba.njit(fastmath=_cpu._FASTMATH, error_model="numpy", inline="always")
def _update_block(X, S, k, skey, coefs, particle_offset, b):
    n, d = X.shape
    a, b_, c = F(coefs[k, 0]), F(coefs[k, 1]), F(coefs[k, 2])
    i0 = b * B
    L = min(B, n - i0)
    x = np.empty((d, B), dtype=F)
    s = np.empty((d, B), dtype=F)
    W = np.empty((NW, B), dtype=F)
    keys = np.empty((2, B), dtype=U)
    J = np.empty(B, dtype=np.int64)
    for j in range(d):
        for i in range(L):
            x[j, i] = X[i0 + i, j]
            s[j, i] = S[i0 + i, j]
    for i in range(L):
        keys[PKEY, i] = particle_key(skey, U(i0 + i + particle_offset))
    step_keys_into(keys, k, L)
    update(x, s, a, b_, c, keys, W, J, L)
    for j in range(d):
        for i in range(L):
            X[i0 + i, j] = x[j, i]


@numba.njit(parallel=True, fastmath=_cpu._FASTMATH, error_model="numpy", cache=CACHE)
def run(X, S, k, seed, coefs, particle_offset):
    skey = seed_key(U(seed))
    for b in numba.prange((X.shape[0] + B - 1) // B):
        if WIDE:
            _cpu.prefer_512_bit_vectors()
        _update_block(X, S, k, skey, coefs, particle_offset, b)


@numba.njit(fastmath=_cpu._FASTMATH, error_model="numpy", cache=CACHE)
def run_serial(X, S, k, seed, coefs, particle_offset):
    if WIDE:
        _cpu.prefer_512_bit_vectors()
    skey = seed_key(U(seed))
    for b in range((X.shape[0] + B - 1) // B):
        _update_block(X, S, k, skey, coefs, particle_offset, b)


@numba.njit(parallel=True, fastmath=_cpu._FASTMATH, error_model="numpy", cache=CACHE)
def normals(X, seed, step, particle_offset):
    n, d = X.shape
    skey = seed_key(U(seed))
    for b in numba.prange((n + B - 1) // B):
        if WIDE:
            _cpu.prefer_512_bit_vectors()
        i0 = b * B
        L = min(B, n - i0)
        W = np.empty((NW, B), dtype=F)
        keys = np.empty((2, B), dtype=U)
        J = np.empty(B, dtype=np.int64)
        for i in range(L):
            keys[PKEY, i] = particle_key(skey, U(i0 + i + particle_offset))
        step_keys_into(keys, step, L)
        for j in range(d):
            normals_into(keys, U(j), W, J, L)
            for i in range(L):
                X[i0 + i, j] = W[Z, i]
"""


def _stem(family, dtype, two_stage=False, dim=None) -> str:
    name = family if isinstance(family, str) else "_".join(family)
    return (f"{name}_{dtype}" + ("_heun" if two_stage else "")
            + (f"_d{dim}" if dim is not None else ""))


def _program_module(family, dtype: str, two_stage: bool = False, d: int | None = None):
    return _program_module_dim(family, dtype, two_stage, fused_dim(d))


@cache
def _program_module_dim(family, dtype: str, two_stage: bool, dim: int | None):
    source = _PROGRAM.format(family=family, dtype=dtype, two_stage=two_stage, dim=dim,
                             wide=vector_width_bits() == 512)
    return load_module(_stem(family, dtype, two_stage, dim), source)[0]


@cache
def _update_module(dtype: str, dim: int | None = None):
    source = _UPDATE.format(dtype=dtype, dim=dim, wide=vector_width_bits() == 512)
    stem = f"update_{dtype}" + (f"_d{dim}" if dim is not None else "")
    return load_module(stem, source)[0]


def _update_kernel(dtype: str, size: int, d: int | None = None):
    module = _update_module(dtype, fused_dim(d))
    return module.run if size >= _PARALLEL_MIN else module.run_serial


def normals(seed, n, step, d, particle_offset=0, dtype="float64"):
    """The (n, d) block of counter-based standard normals of ``step`` (compiled; equal to
    ``numpy_backend.normals`` except for rounding in the AS241 tail, where the polynomial
    ``log`` may differ from NumPy's by an ulp)."""
    X = np.empty((n, d), dtype=dtype)
    _update_module(np.dtype(dtype).name).normals(X, np.uint64(seed), np.uint64(step),
                                                 particle_offset)
    return X


#: fewest numbers (points × d, × steps for a run) worth a parallel launch
_PARALLEL_MIN = 65536


def run_program(family, P, X, k0, k1, seed, coefs, particle_offset=0):
    """Advance ``X`` (n, d), in place, through steps k0..k1−1 with a kernel-evaluated score.

    ``coefs`` (N, 3) float64: the one-stage update (a, b, c) per step; (N, 7): the two-stage
    (Heun) step, whose parameters ``P`` then cover N + 1 times (``_math.make_step``).
    """
    two_stage = is_two_stage(coefs)
    module = _program_module(family, X.dtype.name, two_stage, X.shape[1])
    # small batches: a parallel launch costs more than it saves (and stalls on a loaded machine)
    kernel = module.run if X.size * (k1 - k0) >= _PARALLEL_MIN else module.run_serial
    # seeds are in [0, 2^64): a plain int >= 2^63 does not fit Numba's int64
    kernel(X, k0, k1, np.uint64(seed), coefs, P, particle_offset)


_SERIAL = threading.local()


@contextlib.contextmanager
def serial_scores():
    """Inside the block, ``evaluate_family`` called from this thread uses the serial kernel
    whatever the batch size (same results: lanes never mix)."""
    before = getattr(_SERIAL, "on", False)
    _SERIAL.on = True
    try:
        yield
    finally:
        _SERIAL.on = before


def evaluate_family(family, P, x, k=0):
    """Score of a kernel family at step ``k`` of ``P`` for points ``x`` (n, d) (compiled,
    parallel over points; the counterpart of ``numpy_backend.evaluate_family``)."""
    x = np.ascontiguousarray(x)
    out = np.empty_like(x)
    module = _program_module(family, x.dtype.name, False, x.shape[1])
    # small batches: a parallel launch costs more than it saves
    parallel = x.size >= _PARALLEL_MIN and not getattr(_SERIAL, "on", False)
    (module.evaluate if parallel else module.evaluate_serial)(x, out, P, k)
    return out


def run_update(X, S, k, seed, coefs, particle_offset=0):
    """One step ``X ← a X + b S + c ξ`` with scores ``S`` computed outside (generic path)."""
    S = np.ascontiguousarray(S, dtype=X.dtype)
    _update_kernel(X.dtype.name, X.size, X.shape[1])(X, S, k, np.uint64(seed), coefs,
                                                      particle_offset)
