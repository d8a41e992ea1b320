#!/usr/bin/env bash
# The main job: install, build, compile the bundled example model (a tiny
# LLaMA-style GQA decoder exported by torch.onnx) for the CPU, show what the
# compiler found in it, and generate tokens with the artifact: two prompts run
# concurrently through the paged KV cache.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
MODEL=${1:-test/fixtures/hf/llama-sdpa.onnx}
ARTIFACT=${ARTIFACT:-build/demo-artifact}
build/bin/attnc inspect "$MODEL"
build/bin/attnc compile "$MODEL" -o "$ARTIFACT"
echo "artifact: $ARTIFACT ($(ls "$ARTIFACT" | tr '\n' ' '))"
build/bin/attnc-run "$ARTIFACT" --tokens 1,2,3,4,5 --tokens 7,8,9 --max-new-tokens 16 --stats
