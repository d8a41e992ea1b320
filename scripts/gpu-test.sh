#!/usr/bin/env bash
# GPU tests, for a machine with an NVIDIA GPU, nvcc, cmake, ninja and PyTorch
# (no MLIR/LLVM needed): builds runtime/cuda on its own (Release, warnings as
# errors) and runs its kernel tests (runtime/cuda/test_attention.py,
# test_kernels.py, its quantized linears once more through their prefill path,
# the attnc_cuda_step_test binary); then, when given
# artifacts compiled elsewhere, the model tests of every fixture against
# onnxruntime (test/e2e/cuda_e2e.py run; the quantized ones again through
# the prefill path). Exits nonzero if the build or a test
# fails, and also if a test skips (no GPU or no PyTorch), since running them
# is the point.
#   scripts/gpu-test.sh [extra cmake arguments, e.g. -DCMAKE_CUDA_ARCHITECTURES=90a]
# CUDA_BUILD_DIR (default build-cuda) is the build directory, PYTHON the
# interpreter. Model tests: CUDA_E2E_WORK, the directory `cuda_e2e.py prepare`
# filled on a development machine, and ATTNC_RUN, an attnc-run binary.
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
# The quantized linears again with their prefill path (dequantize + cuBLASLt,
# from 64 tokens by default, w8 96) taken from 9 tokens on: every T > 8 case of the
# four groups goes through it and through the fused forms' pieces after it.
echo "gpu-test: test_kernels quantized groups, prefill path from 9 tokens"
ATTNC_CUDA_DEQUANT_GEMM_TOKENS=9 \
  ATTNC_TEST_ONLY=test_quantized_linear,test_quantized_linear_fused,test_quantized_linear_gated,test_quantized_linear_rope_kv \
  "$PYTHON" runtime/cuda/test_kernels.py || failed+=("test_kernels, prefill path from 9 tokens")
echo "gpu-test: attnc_cuda_step_test"
"$BUILD_DIR/attnc_cuda_step_test" || failed+=("attnc_cuda_step_test")
if [ -n "${CUDA_E2E_WORK:-}" ]; then
  echo "gpu-test: model tests (cuda_e2e.py run) over $CUDA_E2E_WORK"
  "$PYTHON" test/e2e/cuda_e2e.py run --attnc-run "${ATTNC_RUN:?set ATTNC_RUN to attnc-run}" \
      --fixtures test/fixtures/hf --work "$CUDA_E2E_WORK" || failed+=("cuda_e2e")
  # The quantized artifacts once more with the prefill path from 9 tokens:
  # their prompts (1-47 tokens) stay below its defaults.
  echo "gpu-test: quantized model tests, prefill path from 9 tokens"
  ATTNC_CUDA_DEQUANT_GEMM_TOKENS=9 "$PYTHON" test/e2e/cuda_e2e.py run --attnc-run "$ATTNC_RUN" \
      --fixtures test/fixtures/hf --work "$CUDA_E2E_WORK" --quantized-only \
      || failed+=("cuda_e2e, prefill path from 9 tokens")
fi
if ((${#failed[@]})); then
  echo "gpu-test: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "gpu-test: all GPU tests passed"
