#!/usr/bin/env bash
# On the GPU machine (PyTorch + transformers, no MLIR): the model again (same
# seed; the committed graph of the preset with its data written from the
# model, else a new export with the same exporter, so that the initializer
# names match the graph the artifact was compiled from), pack the weight-stripped artifact from it (or
# reuse an identical plan's weights.bin), and run bench/gpu_e2e.py.
#
#   bench/gpu_e2e.sh TOOLS_DIR ARTIFACT WORK_DIR RESULT.json [gpu_e2e.py options]
#
# TOOLS_DIR: attnc-pack (static) and attnc_bench; ARTIFACT: from
# `attnc compile --target cuda --dtype f16 --strip-weights` (copied into
# WORK_DIR, then packed). PRESET (default tinyllama-1.1b) picks the model.
set -euo pipefail
tools=$1 art=$2 work=$3 json=$4
shift 4
preset=${PRESET:-tinyllama-1.1b}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work"
if [ ! -f "$work/model/stateless.onnx.data" ]; then
  # The committed graph of the preset, where there is one, gets its data
  # written from the model (seconds) instead of a new export (minutes).
  graph="$root/test/fixtures/bench/$preset-graph.onnx" from=()
  [ -f "$graph" ] && from=(--data-from-graph "$graph")
  python3 "$root/bench/export_bench_model.py" "$work/model" --preset "$preset" --only stateless \
    --no-verify "${from[@]}"
fi
rm -rf "$work/artifact"
cp -r "$art" "$work/artifact"
# Packed once per weight plan (bench/pack_cached.sh; PACK_CACHE=0: always).
"$root/bench/pack_cached.sh" "$tools/attnc-pack" "$work/artifact" "$work/model/stateless.onnx" \
  "$work/packed"
# libmodel.so links cuBLASLt dynamically: the toolkit's, else PyTorch's wheel.
site=$(python3 -c 'import site; print(site.getsitepackages()[0])')
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib "$site/nvidia/cu13/lib" "$site/nvidia/cublas/lib"; do
  if ls "$d"/libcublasLt.so.13* >/dev/null 2>&1; then
    export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    break
  fi
done
if ! command -v ncu >/dev/null; then
  for n in /opt/nvidia/nsight-compute/*/ncu /usr/local/cuda/bin/ncu; do
    [ -x "$n" ] && export PATH="$(dirname "$n"):$PATH" && break
  done
fi
python3 "$root/bench/gpu_e2e.py" --models "$work/model" --artifact "$work/artifact" \
  --harness "$tools/attnc_bench" --preset "$preset" --json "$json" "$@"
