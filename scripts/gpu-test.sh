#!/usr/bin/env bash
# GPU tests of the CUDA kernels, for a machine with an NVIDIA GPU, nvcc, cmake,
# ninja and PyTorch (no MLIR/LLVM needed): builds runtime/cuda on its own
# (Release, warnings as errors) and runs runtime/cuda/test_attention.py and
# test_kernels.py against it. Exits nonzero if the build or a test fails, and
# also if a test skips (no GPU or no PyTorch), since running them is the point.
#   scripts/gpu-test.sh [extra cmake arguments, e.g. -DCMAKE_CUDA_ARCHITECTURES=90a]
# CUDA_BUILD_DIR (default build-cuda) is the build directory, PYTHON the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${CUDA_BUILD_DIR:-build-cuda}
PYTHON=${PYTHON:-python3}

cmake -G Ninja -S runtime/cuda -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DATTNC_CUDA=ON "$@"
cmake --build "$BUILD_DIR" -j"$(nproc)"
ATTNC_CUDA_LIB="$(cd "$BUILD_DIR" && pwd)/libattnc_cuda.so"
export ATTNC_CUDA_LIB

failed=()
for test in test_attention test_kernels; do
  echo "gpu-test: $test"
  rc=0
  "$PYTHON" "runtime/cuda/$test.py" || rc=$?
  case $rc in
    0) ;;
    77) echo "gpu-test: $test skipped (no CUDA GPU or no PyTorch)" >&2; failed+=("$test (skipped)") ;;
    *) failed+=("$test (exit $rc)") ;;
  esac
done
if ((${#failed[@]})); then
  echo "gpu-test: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "gpu-test: all GPU tests passed"
