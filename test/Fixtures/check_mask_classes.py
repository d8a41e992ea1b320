#!/usr/bin/env python3
"""Checks the attn.mask annotations of attn-classify-masks against a fixture's config.

usage: attnc-opt -attn-classify-masks ... | check_mask_classes.py MANIFEST.json FIXTURE.onnx

Reads the annotated onnx IR on stdin. Every attention is counted by its
Softmax (eager graphs share one mask among layers, but each layer has its own
Softmax and its own anchor op), in graph order, which is layer order. The op
whose result feeds each Softmax (the anchor) must carry
  attn.mask = {causal = true, window = W, padding = P, padding_arg = N, kv_aligned = true}
with W the manifest's sliding_window on windowed_layers and 0 elsewhere, and
padding from the attention_mask input (padding_arg its input number).
Only the stdlib.
"""
import json
import re
import sys

OP_LINE = re.compile(r"^\s*(?P<results>%[^=]*?)\s*=\s*(?P<op>[a-z_]+\.[A-Za-z_.]+)\b(?P<rest>.*)$")
MASK = re.compile(r"attn\.mask = \{(?P<fields>[^}]*)\}")


def parse_fields(text):
    fields = {}
    for item in text.split(","):
        key, _, value = item.partition("=")
        value = value.strip().split(" : ")[0].strip()
        fields[key.strip()] = {"true": True, "false": False}.get(value, value)
        if isinstance(fields[key.strip()], str):
            fields[key.strip()] = int(value)
    return fields


def main():
    manifest_path, fixture = sys.argv[1], sys.argv[2]
    config = json.load(open(manifest_path))[fixture]
    defs, softmax_inputs = {}, []
    for line in sys.stdin.read().splitlines():
        m = OP_LINE.match(line)
        if not m:
            continue
        for r in m["results"].split(","):
            defs[r.strip().split(":")[0]] = (m["op"], line)
        if m["op"] == "onnx.Softmax":
            softmax_inputs.append(re.findall(r"%[\w]+", m["rest"])[0])

    errors = []
    layers = config["num_layers"]
    if len(softmax_inputs) != layers:
        errors.append(f"{len(softmax_inputs)} attentions (Softmax), config has {layers} layers")
    window = config["sliding_window"] or 0
    inputs = config["inputs"]
    for layer, value in enumerate(softmax_inputs):
        op, line = defs.get(value, ("?", ""))
        m = MASK.search(line)
        if not m:
            errors.append(f"layer {layer}: the Softmax input ({op}) has no attn.mask")
            continue
        got = parse_fields(m["fields"])
        want = {"causal": True,
                "window": window if config["windowed_layers"][layer] else 0,
                "padding": "attention_mask" in inputs,
                # The fixtures' dims are named, so the bounds are checked
                # against kv_seq - seq (0, or the past length).
                "kv_aligned": True}
        if want["padding"]:
            want["padding_arg"] = inputs.index("attention_mask")
        if got != want:
            errors.append(f"layer {layer}: {op} has attn.mask {got}, expected {want}")
    if errors:
        print(f"{fixture}: " + "; ".join(errors), file=sys.stderr)
        sys.exit(1)
    print(f"{fixture}: {len(softmax_inputs)} attentions classified as configured")


if __name__ == "__main__":
    main()
