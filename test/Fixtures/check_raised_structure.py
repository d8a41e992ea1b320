#!/usr/bin/env python3
"""Checks a raised Hugging Face fixture against its true config.

usage: attnc-opt ... | check_raised_structure.py MANIFEST.json FIXTURE.onnx

Reads the attnc-opt output (the raised onnx/attn IR, custom assembly) on stdin
and compares its structure with what manifest.json says the model is: norm
kind and count, linear count and biases, activation kind, gated or plain MLP,
embeddings (Gemma's scale included), RoPE (count, rotary_dim, theta per
layer), the final logit softcap (attn.logit_softcap), and that no piece of a
norm / activation / RoPE decomposition survives.
Only the stdlib; the expectations come from the manifest plus the few
architecture facts the manifest does not record (ARCHITECTURE below).
"""
import json
import re
import sys

# Facts of the HF architectures that the manifest does not record.
ARCHITECTURE = {
    # Norms per decoder layer, q/k norms not counted. Gemma-2/3 wrap both
    # sublayers in pre- and post-norms; Falcon's parallel block (not the new
    # decoder architecture) feeds attention and MLP from one input_layernorm;
    # GPT-NeoX's parallel residual still normalises twice
    # (input_layernorm for attention, post_attention_layernorm for the MLP);
    # GPT-J's parallel block has one ln_1 like Falcon's.
    "norms_per_layer": {"gemma2": 4, "gemma3": 4, "falcon": 1, "gptj": 1},
    # Phi-3 computes gate and up with one gate_up_proj linear.
    "fused_gate_up": {"phi3"},
    # GPT-J: no q/k/v/out bias, but fc_in / fc_out and the lm_head have one.
    "mlp_bias": {"gptj"},
    "lm_head_bias": {"gptj"},
    # Gemma scales the token embeddings by sqrt(hidden_size).
    "embedding_scale_sqrt_hidden": {"gemma2", "gemma3"},
}

ACTIVATION_KIND = {
    "silu": "silu",
    "gelu": "gelu",
    "gelu_new": "gelu_tanh",
    "gelu_pytorch_tanh": "gelu_tanh",
    "relu": "relu",
}

# Pieces of norm / activation decompositions and fused ops the passes raise.
MUST_BE_GONE = ["Pow", "ReduceMean", "Sqrt", "Reciprocal", "Sigmoid", "Erf", "Gelu", "Relu",
                "LayerNormalization", "RMSNormalization", "SimplifiedLayerNormalization",
                "Gemm", "Gather"]



from mlir_text import parse  # noqa: E402


def scalar(defs, value):
    op = defs.get(value.split("#")[0])
    if not op or op.name != "onnx.Constant":
        return None
    m = re.search(r"dense<([-+0-9.eE]+)>", op.rest)
    return float(m.group(1)) if m else None


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

    family, layers = config["family"], config["num_layers"]
    hidden, head_dim = config["hidden_size"], config["head_dim"]

    # Norms.
    norm_op = {"rms": "attn.rms_norm", "layer": "attn.layer_norm"}[config["norm"]]
    other_norm = "attn.layer_norm" if norm_op == "attn.rms_norm" else "attn.rms_norm"
    per_layer = ARCHITECTURE["norms_per_layer"].get(family, 2)
    qk_norms = 2 * layers if config["qk_norm"] else 0
    norms = named(norm_op)
    expect(f"{norm_op} count", len(norms), per_layer * layers + 1 + qk_norms)
    expect(f"{other_norm} count", len(named(other_norm)), 0)
    per_head = [n for n in norms if len(n.types[0].split("x")) - 1 == 4]
    expect("per-head (rank 4) q/k norms", len(per_head), qk_norms)
    for n in norms:
        want = head_dim if n in per_head else hidden
        expect(f"{norm_op} weight size", n.types[1], f"{want}x" + n.types[1].split("x")[-1])
        eps = float(re.search(r"epsilon = ([-+0-9.eE]+)", n.rest).group(1))
        if abs(eps - config["norm_eps"]) > 1e-3 * config["norm_eps"]:
            errors.append(f"{norm_op} epsilon {eps} != {config['norm_eps']}")

    # Linears: attention projections, MLP, lm_head.
    attn_linears = 2 if config["fused_qkv"] else 4
    if config["mlp"] == "gated":
        mlp_linears = 2 if family in ARCHITECTURE["fused_gate_up"] else 3
    else:
        mlp_linears = 2
    linears = named("attn.linear")
    expect("attn.linear count", len(linears), layers * (attn_linears + mlp_linears) + 1)
    biased = [l for l in linears if " bias(" in l.rest]
    if config["qkv_bias"]:
        if len(biased) < layers * (1 if config["fused_qkv"] else 3):
            errors.append(f"qkv_bias: only {len(biased)} linears have a bias")
    else:
        expect("linears with a bias", len(biased),
               layers * mlp_linears * (family in ARCHITECTURE["mlp_bias"])
               + (family in ARCHITECTURE["lm_head_bias"]))
    # The lm_head is the last projection of a decoder.
    lm_head = linears[-1:]
    if lm_head:
        expect("lm_head out features", lm_head[0].dims(-1)[-1], str(config["vocab_size"]))
        expect("lm_head has a bias", " bias(" in lm_head[0].rest,
               family in ARCHITECTURE["lm_head_bias"])
    embeddings = named("attn.embedding")
    expect("attn.embedding count", len(embeddings), 1 + (config["positions"] == "learned"))
    tokens = [e for e in embeddings if e.dims(0) == [str(config["vocab_size"]), str(hidden)]]
    expect("token embedding [vocab, hidden]", len(tokens), 1)
    # Gemma's sqrt(hidden) embedding scale is the token embedding's `scale`;
    # no other embedding is scaled.
    want_scale = hidden ** 0.5 if family in ARCHITECTURE["embedding_scale_sqrt_hidden"] else None
    # Granite's embedding_multiplier.
    want_scale = config.get("embedding_multiplier") or want_scale
    for e in embeddings:
        m = re.search(r"\{[^}]*scale = ([-+0-9.eE]+)", e.rest)
        scale = float(m.group(1)) if m else None
        want = want_scale if e in tokens else None
        if (scale is None) != (want is None) or (
                scale is not None and abs(scale - want) > 1e-5 * want):
            errors.append(f"embedding {e.results[0]} scale {scale}, expected {want}")
    if lm_head and tokens and config["tie_word_embeddings"]:
        expect("tied lm_head weight is the embedding table", lm_head[0].operands[1],
               tokens[0].operands[0])
        expect("tied lm_head layout", "out_in" in lm_head[0].rest, True)
    # Every remaining MatMul multiplies activations (attention): none has a
    # 2-D constant right operand.
    for mm in named("onnx.MatMul"):
        b = defs.get(mm.operands[1].split("#")[0])
        if b and b.name == "onnx.Constant" and len(mm.dims(1)) == 2:
            errors.append(f"MatMul by a 2-D constant weight survived: {mm.results[0]}")

    # Activations.
    kind = ACTIVATION_KIND[config["activation"]]
    gated, plain = named("attn.gated_activation"), named("attn.activation")
    if config["mlp"] == "gated":
        expect("gated activations", len(gated), layers)
        expect("plain activations", len(plain), 0)
    else:
        expect("gated activations", len(gated), 0)
        expect("plain activations", len(plain), layers)
    for a in gated + plain:
        expect("activation kind", a.rest.split()[0], kind)

    # RoPE: q and k of every layer, on [batch, seq, heads, head_dim], over the
    # partial_rotary_factor share of the head, with the layer's theta (Gemma-3's
    # sliding layers use the local base); nothing of the decomposed cos/sin and
    # rotate_half survives.
    ropes = named("attn.rope")
    if config["positions"] == "rope":
        expect("attn.rope count", len(ropes), 2 * layers)
        rotary_dim = round(head_dim * config["partial_rotary_factor"])
        for i, r in enumerate(ropes):
            layer = i // 2
            expect("attn.rope x head_dim", r.dims(0)[-1:], [str(head_dim)])
            got_dim = int(re.search(r"rotary_dim = (\d+)", r.rest).group(1))
            expect(f"layer {layer} rotary_dim", got_dim, rotary_dim)
            style = config.get("rope_style") or "half_split"
            expect(f"layer {layer} rope style", f"rope_style {style}" in r.rest, True)
            want = config["rope_theta"]
            if config["rope_local_theta"] and config["windowed_layers"][layer]:
                want = config["rope_local_theta"]
            m = re.search(r"theta = ([-+0-9.eE]+)", r.rest)
            theta = float(m.group(1)) if m else None
            if theta is None or abs(theta - want) > 1e-5 * want:
                errors.append(f"layer {layer} rope theta {theta} != {want}")
        for name in ["Cos", "Sin", "Neg"]:
            expect(f"onnx.{name} left", len(named("onnx." + name)), 0)
    else:
        expect("attn.rope count", len(ropes), 0)

    for name in MUST_BE_GONE:
        expect(f"onnx.{name} left", len(named("onnx." + name)), 0)
    # The final logit softcap is raised to one attn.logit_softcap with the
    # config's cap, applied to the lm_head's logits.
    final_caps = named("attn.logit_softcap")
    want_final = config["final_logit_softcapping"]
    expect("attn.logit_softcap count", len(final_caps), 1 if want_final else 0)
    for c in final_caps:
        m = re.search(r"cap = ([-+0-9.eE]+)", c.rest)
        cap = float(m.group(1)) if m else None
        if not want_final or cap is None or abs(cap - want_final) > 1e-5 * want_final:
            errors.append(f"attn.logit_softcap cap {cap} != {want_final}")
        if lm_head:
            expect("attn.logit_softcap input is the lm_head's logits", c.operands[0],
                   lm_head[0].results[0])
    # Granite's logits / logits_scaling is one attn.logit_scale {scale =
    # 1/logits_scaling} of the lm_head's logits.
    scales = named("attn.logit_scale")
    want_div = config.get("logits_scaling")
    expect("attn.logit_scale count", len(scales), 1 if want_div else 0)
    for c in scales:
        m = re.search(r"scale = ([-+0-9.eE]+)", c.rest)
        scale = float(m.group(1)) if m else None
        if not want_div or scale is None or abs(scale - 1 / want_div) > 1e-5 / want_div:
            errors.append(f"attn.logit_scale scale {scale} != 1/{want_div}")
        if lm_head:
            expect("attn.logit_scale input is the lm_head's logits", c.operands[0],
                   lm_head[0].results[0])
    # Tanh stays only as an attention-logit softcap c * tanh(s / c), one per
    # layer (eager only; the manifest records what was exported).
    caps = []
    if config["attn_logit_softcapping"]:
        caps += [config["attn_logit_softcapping"]] * layers
    tanhs = named("onnx.Tanh")
    expect("onnx.Tanh (softcaps) left", len(tanhs), len(caps))
    found = []
    for t in tanhs:
        div = defs.get(t.operands[0].split("#")[0])
        found.append(scalar(defs, div.operands[1]) if div and div.name == "onnx.Div" else None)
    expect("softcap values", sorted(f or 0 for f in found), sorted(caps))

    if errors:
        print(f"{fixture}: " + "\n  ".join(["structure mismatch"] + errors))
        return 1
    print(f"{fixture}: OK ({len(norms)} {norm_op}, {len(linears)} linear, "
          f"{len(gated) or len(plain)} {kind} {'gated' if gated else 'plain'}, "
          f"{len(embeddings)} embedding, {len(ropes)} rope, {len(tanhs)} softcap tanh, "
          f"{len(final_caps)} logit_softcap)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
