#!/usr/bin/env python3
"""Checks the step function of a Hugging Face fixture after -attn-insert-kv-cache.

usage: attnc-opt -attn-raise -attn-check-raised -attn-insert-kv-cache \\
         | check_kv_cache_step.py MANIFEST.json FIXTURE.onnx

Reads the step function (custom assembly) on stdin. The expectations come from
manifest.json (num_layers, num_heads, num_kv_heads, head_dim, sliding_window,
windowed_layers, attn_logit_softcapping, query_pre_attn_scalar, positions,
vocab_size), never from the compiler's output:

  * the signature is (token_ids, positions, logit_tokens), all tensor<?xi64>,
    returning [?, vocab] logits, with an attn.page_size attribute;
  * exactly num_layers attn.paged_attention, layers 0 .. L-1 in program
    order, with the config's heads, kv heads, head_dim, scale
    (query_pre_attn_scalar^-1/2 or head_dim^-1/2), attention softcap and
    window (sliding_window on windowed layers, none otherwise), all on
    [tokens, heads, head_dim] values;
  * cache groups: one per distinct window, numbered 0 .. G-1, full attention
    first (group 0); layers with the same window share their group;
  * no attn.attention / attn.positions left; RoPE (rope models: two per
    layer) reads the positions argument; one attn.select_tokens reads
    logit_tokens;
  * no onnx op other than Constant, NoValue, Reshape, Split, Slice, Add (no
    padding-mask Cast survives).
Only the stdlib.
"""
import json
import re
import sys

ALLOWED_ONNX = {"Constant", "NoValue", "Reshape", "Split", "Slice", "Add"}
STEP_INPUTS = ["token_ids", "positions", "logit_tokens"]

FUNC = re.compile(r"^\s*func\.func @(?P<name>\w+)\((?P<args>.*)\) -> (?P<results>.*?)(?: attributes (?P<attrs>\{.*\}))? \{$")


from mlir_text import OP_LINE, TENSOR, Op  # noqa: E402


def main():
    manifest_path, fixture = sys.argv[1], sys.argv[2]
    config = json.load(open(manifest_path))[fixture]
    text = sys.stdin.read().split("{-#")[0]  # drop the weights' resource blobs
    errors = []

    def expect(what, got, want):
        if got != want:
            errors.append(f"{what}: got {got}, expected {want}")

    funcs = [m for m in map(FUNC.match, text.splitlines()) if m]
    expect("functions", len(funcs), 1)
    if not funcs:
        print(f"{fixture}: no func.func found")
        return 1
    func = funcs[0]
    args = re.findall(r"(%\w+): tensor<([^>]*)> \{attn\.step_input = \"(\w+)\"\}", func["args"])
    expect("step inputs", [a[2] for a in args], STEP_INPUTS)
    expect("step input types", [a[1] for a in args], ["?xi64"] * 3)
    expect("argument count", func["args"].count("%arg"), 3)
    arg = {name: value for value, _, name in args}
    expect("logits type", TENSOR.findall(func["results"]), [f"?x{config['vocab_size']}xf32"])
    if not func["attrs"] or not re.search(r"attn\.page_size = \d+ : i64", func["attrs"]):
        errors.append("no attn.page_size attribute on the step function")

    ops = [Op(m["op"], m["results"], m["rest"]) for m in map(OP_LINE.match, text.splitlines()) if m]

    def named(name):
        return [op for op in ops if op.name == name]

    layers = config["num_layers"]
    heads, kv_heads, head_dim = config["num_heads"], config["num_kv_heads"], config["head_dim"]
    scale = (config.get("attention_multiplier")  # Granite
             or (config["query_pre_attn_scalar"] or head_dim) ** -0.5)
    softcap = config["attn_logit_softcapping"] or 0.0
    windows = [config["sliding_window"] if w else 0 for w in config["windowed_layers"]]
    expect("manifest windowed_layers length", len(windows), layers)

    paged = named("attn.paged_attention")
    expect("attn.paged_attention count", len(paged), layers)
    expect("layer indices in program order", [int(p.num("layer", -1)) for p in paged],
           list(range(len(paged))))
    group_of_window = {}
    for layer, p in enumerate(paged):
        expect(f"layer {layer} num_heads", p.num("num_heads"), heads)
        expect(f"layer {layer} num_kv_heads", p.num("num_kv_heads"), kv_heads)
        expect(f"layer {layer} head_dim", p.num("head_dim"), head_dim)
        if abs(p.num("scale", 0.0) - scale) > 1e-5 * scale:
            errors.append(f"layer {layer} scale {p.num('scale')} != {scale}")
        expect(f"layer {layer} softcap", p.num("softcap", 0.0), softcap)
        if layer < len(windows):
            expect(f"layer {layer} window", p.num("window", 0), windows[layer])
        want_types = [f"?x{heads}x{head_dim}xf32", f"?x{kv_heads}x{head_dim}xf32",
                      f"?x{kv_heads}x{head_dim}xf32", f"?x{heads}x{head_dim}xf32"]
        expect(f"layer {layer} types", p.types, want_types)
        group = int(p.num("cache_group", -1))
        window = int(p.num("window", 0))
        group_of_window.setdefault(window, set()).add(group)

    # One group per distinct window, full attention first.
    distinct = sorted(set(windows))
    expect("distinct windows", sorted(group_of_window), distinct)
    for window, groups in group_of_window.items():
        expect(f"cache groups of window {window}", len(groups), 1)
    groups = sorted(g for gs in group_of_window.values() for g in gs)
    expect("cache groups", groups, list(range(len(distinct))))
    if 0 in group_of_window:
        expect("group of full attention", group_of_window[0], {0})

    for name in ["attn.attention", "attn.positions"]:
        expect(f"{name} left", len(named(name)), 0)
    ropes = named("attn.rope")
    expect("attn.rope count", len(ropes), 2 * layers if config["positions"] == "rope" else 0)
    for r in ropes:
        expect("attn.rope positions", r.operands[1:2], [arg.get("positions")])
        expect("attn.rope x rank", len(r.types[0].split("x")) - 1, 3)
    selects = named("attn.select_tokens")
    expect("attn.select_tokens count", len(selects), 1)
    for s in selects:
        expect("attn.select_tokens indices", s.operands[1:2], [arg.get("logit_tokens")])

    onnx_left = sorted({op.name.split(".", 1)[1] for op in ops if op.name.startswith("onnx.")})
    expect("onnx ops outside the step allow-list", [n for n in onnx_left if n not in ALLOWED_ONNX], [])

    if errors:
        print(f"{fixture}: " + "\n  ".join(["step function mismatch"] + errors))
        return 1
    print(f"{fixture}: OK ({len(paged)} paged_attention, {len(distinct)} cache group(s), "
          f"onnx ops left: {', '.join(onnx_left)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
