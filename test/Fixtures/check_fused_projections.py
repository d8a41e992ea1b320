#!/usr/bin/env python3
"""Checks the fused projections of a Hugging Face fixture after -attn-raise.

usage: attnc-opt -attn-raise ... | check_fused_projections.py MANIFEST.json FIXTURE.onnx

Reads the raised IR (custom assembly) on stdin. The expectations come from
manifest.json (num_layers, num_heads, num_kv_heads, head_dim,
intermediate_size, fused_qkv, qkv_bias, mlp, parallel_attn) plus the one
architecture fact it does not record (ARCHITECTURE below):

  * q, k and v of every layer's attn.attention come from one attn.linear.
    Separate q/k/v projections (fused_qkv false) are now that linear over an
    attn.weight_concat of three constants (and of three bias constants when
    qkv_bias), split as [heads * head_dim, kv_heads * head_dim,
    kv_heads * head_dim]; an exporter-fused projection (Phi-3 qkv_proj,
    GPT-2 c_attn, GPT-NeoX / Falcon query_key_value) keeps its one constant.
  * gate and up of every gated MLP come from one attn.linear: a weight_concat
    of two constants split as [intermediate, intermediate], or Phi-3's one
    gate_up_proj constant.
  * a parallel block fed by one norm (Falcon) reads that norm once: its
    query_key_value and dense_h_to_4h are one linear over a weight_concat of
    the two constants, split as [(heads + 2 kv_heads) * head_dim,
    intermediate].
  * attn.linear count per layer: QKV 1, output 1, MLP 2 (gate_up + down, or
    fc1 + fc2), minus the MLP input projection folded into QKV in a one-norm
    parallel block; plus the lm_head. Every weight_concat reads constants
    only (no weight is copied into the IR).
Only the stdlib.
"""
import json
import re
import sys

import mlir_text

ARCHITECTURE = {
    # Parallel blocks whose attention and MLP read the same norm output
    # (GPT-NeoX's parallel block normalises twice, so its MLP input differs;
    # GPT-J's has one ln_1, but its q/k/v have no bias and its fc_in has one,
    # so they are not fused into one linear).
    "one_norm_parallel": {"falcon"},
    # Exporter-fused gate/up (one gate_up_proj constant).
    "fused_gate_up": {"phi3"},
}

# Ops between a projection and what reads its heads: splits, head reshapes,
# transposes, RoPE and per-head q/k norms (operand 0 is the data).
PASS_THROUGH = {"onnx.Split", "onnx.Slice", "onnx.Reshape", "onnx.Transpose", "onnx.Squeeze",
                "onnx.Unsqueeze", "onnx.Identity", "onnx.Cast", "onnx.Expand", "attn.rope",
                "attn.rms_norm"}


def parse(text):
    ops, defs = mlir_text.parse(text)
    for op in ops:  # this script follows values, not which result of a Split they are
        op.operands = [o.split("#")[0] for o in op.operands]
    return ops, defs


def main():
    manifest_path, fixture = sys.argv[1], sys.argv[2]
    config = json.load(open(manifest_path))[fixture]
    ops, defs = parse(sys.stdin.read())
    errors = []

    def expect(what, got, want):
        if got != want:
            errors.append(f"{what}: got {got}, expected {want}")

    def named(name):
        return [op for op in ops if op.name == name]

    def producer(value):
        op = defs.get(value)
        for _ in range(64):
            if op is None or op.name == "attn.linear":
                return op
            # The KV-cache concat of a past_key_values export: Concat(past
            # argument, new keys/values); the new ones come from the projection.
            if (op.name == "onnx.Concat" and len(op.operands) == 2
                    and op.operands[0].startswith("%arg")):
                op = defs.get(op.operands[1])
                continue
            if op.name not in PASS_THROUGH or not op.operands:
                return None
            op = defs.get(op.operands[0])
        return None

    def split_sizes(linear):
        splits = [op for op in named("onnx.Split") if op.operands[0] == linear.results[0]]
        if len(splits) != 1:
            return None
        sizes = defs.get(splits[0].operands[1])
        m = sizes and re.search(r"dense<([^>]*)> : tensor<(\d+)xi64>", sizes.rest)
        if not m:
            return None
        if m.group(1).startswith("["):
            return [int(v) for v in m.group(1).strip("[]").split(",")]
        return [int(m.group(1))] * int(m.group(2))

    def expect_concat(what, value, count, axis):
        op = defs.get(value)
        if not op or op.name != "attn.weight_concat":
            errors.append(f"{what}: not an attn.weight_concat ({op.name if op else value})")
            return
        expect(f"{what} inputs", len(op.operands), count)
        expect(f"{what} axis", re.search(r"axis = (\d+)", op.rest).group(1), str(axis))
        for operand in op.operands:
            if defs.get(operand) is None or defs[operand].name != "onnx.Constant":
                errors.append(f"{what}: input {operand} is not an onnx.Constant")

    def expect_constant(what, value):
        op = defs.get(value)
        if not op or op.name != "onnx.Constant":
            errors.append(f"{what}: not an onnx.Constant ({op.name if op else value})")

    def out_axis(linear):
        return 0 if "weight_layout out_in" in linear.rest else 1

    family, layers = config["family"], config["num_layers"]
    heads, kv_heads, head_dim = config["num_heads"], config["num_kv_heads"], config["head_dim"]
    intermediate = config["intermediate_size"]
    gated = config["mlp"] == "gated"
    fused_gate_up = family in ARCHITECTURE["fused_gate_up"]
    one_norm_parallel = config["parallel_attn"] and family in ARCHITECTURE["one_norm_parallel"]
    qkv_width = (heads + 2 * kv_heads) * head_dim

    attentions = named("attn.attention")
    expect("attn.attention count", len(attentions), layers)
    qkv_linears = []
    for layer, attention in enumerate(attentions):
        where = f"layer {layer} QKV"
        q, k, v = (producer(o) for o in attention.operands[:3])
        if not (q and k and v) or not (q is k is v):
            errors.append(f"{where}: q, k and v are not one linear "
                          f"({[p.results[0] if p else None for p in (q, k, v)]})")
            continue
        qkv_linears.append(q)
        weight = q.operands[1]
        bias = q.operands[2] if " bias(" in q.rest else None
        if not config["fused_qkv"]:
            expect_concat(f"{where} weight", weight, 3, out_axis(q))
            expect(f"{where} split", split_sizes(q),
                   [heads * head_dim, kv_heads * head_dim, kv_heads * head_dim])
            expect(f"{where} has a bias", bias is not None, config["qkv_bias"])
            if bias:
                expect_concat(f"{where} bias", bias, 3, 0)
        elif one_norm_parallel:
            expect_concat(f"{where} + MLP input weight", weight, 2, out_axis(q))
            expect(f"{where} + MLP input split", split_sizes(q), [qkv_width, intermediate])
        else:
            expect_constant(f"{where} weight (exporter-fused)", weight)
            expect(f"{where} out features", q.dims(-1)[-1], str(qkv_width))

    if gated:
        activations = named("attn.gated_activation")
        expect("attn.gated_activation count", len(activations), layers)
        for layer, act in enumerate(activations):
            where = f"layer {layer} gate/up"
            gate, up = (producer(o) for o in act.operands[:2])
            if not (gate and up) or gate is not up:
                errors.append(f"{where}: gate and up are not one linear")
                continue
            if fused_gate_up:
                expect_constant(f"{where} weight (exporter-fused)", gate.operands[1])
            else:
                expect_concat(f"{where} weight", gate.operands[1], 2, out_axis(gate))
                expect(f"{where} split", split_sizes(gate), [intermediate, intermediate])
    elif one_norm_parallel:
        activations = named("attn.activation")
        expect("attn.activation count", len(activations), layers)
        for layer, (act, qkv) in enumerate(zip(activations, qkv_linears)):
            expect(f"layer {layer} MLP input is the QKV linear", producer(act.operands[0]) is qkv,
                   True)

    per_layer = 4 - (1 if one_norm_parallel else 0)
    linears = named("attn.linear")
    expect("attn.linear count", len(linears), layers * per_layer + 1)
    concats_per_layer = ((0 if config["fused_qkv"] else 1 + config["qkv_bias"]) +
                         (1 if gated and not fused_gate_up else 0) +
                         (1 if one_norm_parallel else 0))
    concats = named("attn.weight_concat")
    expect("attn.weight_concat count", len(concats), layers * concats_per_layer)
    for c in concats:
        for operand in c.operands:
            if defs.get(operand) is None or defs[operand].name != "onnx.Constant":
                errors.append(f"{c.results[0]}: weight_concat input {operand} is not a constant")

    if errors:
        print(f"{fixture}: " + "\n  ".join(["fused projections mismatch"] + errors))
        return 1
    print(f"{fixture}: OK ({len(linears)} linear = {layers} x {per_layer} + lm_head, "
          f"{len(concats)} weight_concat)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
