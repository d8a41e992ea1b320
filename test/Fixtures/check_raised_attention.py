#!/usr/bin/env python3
"""Checks the attn.attention ops of a raised Hugging Face fixture against its config.

usage: attnc-opt -attn-raise ... | check_raised_attention.py MANIFEST.json FIXTURE.onnx

Reads the raised IR (custom assembly) on stdin. Expects exactly num_layers
attn.attention ops, in layer order, each with the manifest's num_heads,
num_kv_heads, head_dim, scale (query_pre_attn_scalar^-0.5 when the config has
one, else 1/sqrt(head_dim)), softcap (attn_logit_softcapping for the eager
export; HF's sdpa path drops the softcap, so none there), causal, the window
of a windowed layer (sliding_window) or none, and a key padding mask; and no
onnx.Softmax left. Only the stdlib.
"""
import json
import math
import re
import sys

ATTENTION = re.compile(r"=\s*attn\.attention\s+(?P<operands>[^{]*)\{(?P<attrs>[^}]*)\}")
ATTR = re.compile(r"(\w+)\s*=\s*([^,]+?)(?:\s*:\s*\w+)?\s*(?:,|$)")


def parse_attrs(text):
    attrs = {}
    for key, value in ATTR.findall(text):
        attrs[key] = value.strip()
    return attrs


def main():
    manifest_path, fixture = sys.argv[1], sys.argv[2]
    config = json.load(open(manifest_path))[fixture]
    text = sys.stdin.read()
    errors = []

    if "onnx.Softmax" in text:
        errors.append("an onnx.Softmax survives")
    ops = [m for m in ATTENTION.finditer(text)]
    if len(ops) != config["num_layers"]:
        errors.append(f"{len(ops)} attn.attention ops, expected {config['num_layers']}")

    head_dim = config["head_dim"]
    if config.get("attention_multiplier"):  # Granite
        scale = config["attention_multiplier"]
    elif config.get("query_pre_attn_scalar"):
        scale = config["query_pre_attn_scalar"] ** -0.5
    else:
        scale = 1.0 / math.sqrt(head_dim)
    softcap = config.get("attn_logit_softcapping") or 0.0
    if config["impl"] != "eager":
        softcap = 0.0
    windowed = config.get("windowed_layers") or [False] * config["num_layers"]

    for layer, m in enumerate(ops):
        attrs = parse_attrs(m.group("attrs"))
        where = f"layer {layer}"
        for key, want in (("num_heads", config["num_heads"]),
                          ("num_kv_heads", config["num_kv_heads"]),
                          ("head_dim", head_dim)):
            if int(attrs.get(key, -1)) != want:
                errors.append(f"{where}: {key} = {attrs.get(key)}, expected {want}")
        got_scale = float(attrs.get("scale", "nan"))
        if not math.isclose(got_scale, scale, rel_tol=1e-6):
            errors.append(f"{where}: scale = {got_scale}, expected {scale}")
        got_softcap = float(attrs.get("softcap", "0"))
        if not math.isclose(got_softcap, softcap, rel_tol=1e-6, abs_tol=1e-12):
            errors.append(f"{where}: softcap = {got_softcap}, expected {softcap}")
        # causal is a default-valued attribute: elided when true.
        if attrs.get("causal", "true") != "true":
            errors.append(f"{where}: causal = {attrs.get('causal')}, expected true")
        want_window = config["sliding_window"] if layer < len(windowed) and windowed[layer] else 0
        if int(attrs.get("window", "0")) != (want_window or 0):
            errors.append(f"{where}: window = {attrs.get('window', 0)}, expected {want_window}")
        if "padding(" not in m.group("operands"):
            errors.append(f"{where}: no key_padding_mask")

    if errors:
        print(f"{fixture}:", file=sys.stderr)
        for e in errors:
            print(f"  {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
