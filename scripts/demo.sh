#!/usr/bin/env bash
# The main job (for now): install, build, import the bundled example model
# (a tiny LLaMA-style GQA decoder exported by torch.onnx) and print a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
MODEL=${1:-test/fixtures/hf/llama-sdpa.onnx}
build/bin/attnc import "$MODEL" --infer-shapes --summary
