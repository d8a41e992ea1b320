#!/usr/bin/env bash
# Installs everything attnc needs to build and test, idempotently.
# Debian packages: LLVM/MLIR 22, libonnx (protobuf classes), GoogleTest, ninja, ccache;
# for the runtime: xxHash (weight checksums), nlohmann-json (manifests), OpenBLAS (CPU GEMM).
# PyPI: onnx, onnxruntime and numpy for the model scripts and end-to-end tests
# (onnx-ir: onnxruntime's MatMulNBits quantizer imports it).
set -euo pipefail

DEB_PACKAGES=(
  cmake ninja-build ccache g++
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libonnx-dev libprotobuf-dev protobuf-compiler
  libgtest-dev
  libxxhash-dev nlohmann-json3-dev libopenblas-dev
)

missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PY_PACKAGES=(onnx onnxruntime numpy onnx-ir)
if ! python3 -c "import onnx, onnxruntime, numpy, onnx_ir" 2>/dev/null; then
  echo "install-deps: installing ${PY_PACKAGES[*]} from PyPI"
  python3 -m pip install -q "${PY_PACKAGES[@]}"
fi

# Where CMake's ATTNC_CUDA=AUTO looks for nvcc (runtime/cuda/AttncCuda.cmake).
if [ -z "${CUDACXX:-}" ] && ! command -v nvcc >/dev/null 2>&1 \
   && [ ! -x "${CUDA_PATH:-/nonexistent}/bin/nvcc" ] && [ ! -x /usr/local/cuda/bin/nvcc ]; then
  echo "install-deps: note: no CUDA toolkit (nvcc) found; the CUDA kernels (runtime/cuda) will not be built and their GPU tests skip" >&2
fi
