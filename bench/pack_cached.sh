#!/usr/bin/env bash
# Packs a weight-stripped artifact from an ONNX model, once per weight plan:
# artifacts whose weights.plan.json and weights.inline.bin are identical (the
# same model and quantization from two compiler versions, say) get the same
# weights.bin, so the first pack is kept under CACHE_DIR and later ones link
# it and take its manifest "weights" entry (size and checksum) instead of
# reading and quantizing the checkpoint again (~50 s for the 1.1B model).
#
#   bench/pack_cached.sh ATTNC_PACK ARTIFACT MODEL.onnx CACHE_DIR
#
# The key also covers the model's external data file (size, mtime): a
# re-export packs again. PACK_CACHE=0 always packs (and refreshes the cache).
set -euo pipefail
if [ $# -ne 4 ] || [ ! -f "${2:-}/weights.plan.json" ] || [ ! -f "${3:-}" ]; then
  echo "usage: pack_cached.sh ATTNC_PACK ARTIFACT MODEL.onnx CACHE_DIR (ARTIFACT: a weight-stripped" \
       "artifact with weights.plan.json; MODEL.onnx must exist)" >&2
  exit 2
fi
pack=$1 art=$2 model=$3 cache=$4
data="$model.data"
key=$( (cat "$art/weights.plan.json" "$art/weights.inline.bin" 2>/dev/null
        stat -c '%s %Y' "$model" "$data" 2>/dev/null || true) | sha256sum | cut -c1-24)
entry="$cache/$key"
if [ "${PACK_CACHE:-1}" != 0 ] && [ -f "$entry/weights.bin" ] && [ -f "$entry/weights.json" ]; then
  ln -f "$entry/weights.bin" "$art/weights.bin" 2>/dev/null || cp "$entry/weights.bin" "$art/weights.bin"
  python3 - "$art/manifest.json" "$entry/weights.json" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
manifest["weights"] = json.load(open(sys.argv[2]))
json.dump(manifest, open(sys.argv[1], "w"), indent=2)
PY
  echo "packed $art from the cache ($key)"
  exit 0
fi
"$pack" "$art" --from "$model"
mkdir -p "$entry"
ln -f "$art/weights.bin" "$entry/weights.bin" 2>/dev/null || cp "$art/weights.bin" "$entry/weights.bin"
python3 - "$art/manifest.json" "$entry/weights.json" <<'PY'
import json, sys
json.dump(json.load(open(sys.argv[1]))["weights"], open(sys.argv[2], "w"))
PY
