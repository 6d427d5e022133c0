#!/usr/bin/env bash
# The device check, as one prepared command: the CUDA tests (gpu marker) and the GPU benchmark.
# Run from the repository root on a machine with an NVIDIA GPU and numba-cuda; results go to
# $OUT (default ./gpu_out). Without network access, carry the missing wheels (e.g. POT) in
# .whl/ and they are installed to /tmp/site first. Record the numbers in benchmarks/RESULTS.md
# with the date and the GPU's name.
set -uo pipefail
OUT=${OUT:-gpu_out}
mkdir -p "$OUT"
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"
# the gpu tests, plus the PTX compile of every kernel for sm_90 (also run in CI without a GPU)
python3 -m pytest -m "gpu or slow or not slow" -q -p no:cacheprovider \
  tests/simulators/test_sampler_cuda.py tests/simulators/test_cuda_ptx.py 2>&1 \
  | tee "$OUT/gpu_tests.log"
# CUDA rows at n = 10^7 in float32 and float64 (target: >= 1e11 particle·component·steps/s in
# float32 on an H100/H200); the slow CPU-only rows (start-up, output_law, verify, score
# families, samplers, memory) are left out
python3 -m diffbounds bench --backends numpy cpu cuda --repeats 3 --cuda-n 10000000 \
  --skip startup law verify families samplers memory --json "$OUT/bench.json" 2>&1 | tee "$OUT/bench.log"
