#!/usr/bin/env python3
"""Counts attn.residual_add in raised IR (stdin) against the architecture in
manifest.json: two per layer (attention, MLP), one per layer for parallel
blocks (Falcon, GPT-NeoX: h + (attention + MLP)).

usage: check_residuals.py MANIFEST FIXTURE_NAME < raised.mlir
"""
import json
import re
import sys

cfg = json.load(open(sys.argv[1]))[sys.argv[2]]
text = sys.stdin.read()
got = len(re.findall(r"= attn\.residual_add ", text))
want = cfg["num_layers"] * (1 if cfg.get("parallel_attn") else 2)
if got != want:
    print(f"{sys.argv[2]}: {got} attn.residual_add, expected {want}")
    sys.exit(1)
