#!/usr/bin/env bash
# Builds libattnc_cuda.so (paged attention + KV append, C API in Attention.h;
# step kernels + cuBLASLt linear, C API in StepKernels.h) with plain nvcc, for
# sm_90a only (ATTNC_CUDA_ARCH overrides), plus the ptxas resource report. A
# quick path for experiments; the CMake build (README.md) is the one CI checks.
#   runtime/cuda/build.sh [output_dir]     (default /tmp/attnc_cuda)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-/tmp/attnc_cuda}"
mkdir -p "$out"
NVCC="${NVCC:-nvcc}"
ARCH="${ATTNC_CUDA_ARCH:--gencode=arch=compute_90a,code=sm_90a}"
"$NVCC" -O3 -std=c++17 $ARCH -Xcompiler -fPIC -shared -lineinfo \
  --Werror=all-warnings -Xcompiler=-Wall,-Wextra,-Werror -Xptxas=-v \
  "$here/Attention.cu" "$here/AttentionF32.cu" "$here/KVAppend.cu" "$here/StepKernels.cu" "$here/Linear.cu" \
  "$here/QuantLinear.cu" "$here/Step.cu" -I"$here/../.." \
  -lcublasLt -o "$out/libattnc_cuda.so" \
  2> "$out/ptxas.log" || { cat "$out/ptxas.log"; exit 1; }
grep -E "registers|spill|Compiling entry" "$out/ptxas.log" | sed 's/^ptxas info *: //' > "$out/resources.txt" || true
echo "built $out/libattnc_cuda.so"
