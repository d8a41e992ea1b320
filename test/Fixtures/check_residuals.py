#!/usr/bin/env python3
"""Counts attn.residual_add in raised IR (stdin) against the architecture in
manifest.json: two per layer (attention, MLP), one per layer for parallel
blocks (Falcon, GPT-NeoX: h + (attention + MLP)); Granite's adds carry
residual_multiplier as their `scale`.

usage: check_residuals.py MANIFEST FIXTURE_NAME < raised.mlir
"""
import json
import re
import sys

cfg = json.load(open(sys.argv[1]))[sys.argv[2]]
text = sys.stdin.read()
adds = re.findall(r"= attn\.residual_add [^\n]*", text)
got = len(adds)
want = cfg["num_layers"] * (1 if cfg.get("parallel_attn") else 2)
if got != want:
    print(f"{sys.argv[2]}: {got} attn.residual_add, expected {want}")
    sys.exit(1)
# Granite scales every sublayer output by residual_multiplier: each add
# carries it as `scale`; no other model's adds are scaled.
multiplier = cfg.get("residual_multiplier")
for add in adds:
    m = re.search(r"\{[^}]*scale = ([-+0-9.eE]+)", add)
    scale = float(m.group(1)) if m else None
    if (scale is None) != (multiplier is None) or (
            scale is not None and abs(scale - multiplier) > 1e-6 * multiplier):
        print(f"{sys.argv[2]}: residual_add scale {scale}, expected {multiplier}: {add}")
        sys.exit(1)
