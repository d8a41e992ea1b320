#!/usr/bin/env python3
"""Export tiny random-weight Hugging Face decoder LLMs to ONNX test fixtures.

Each model family (LLaMA, Mistral, Qwen2, GPT-2, Falcon, Phi-3, Gemma-2,
Qwen3, GPT-NeoX, StarCoder2, Gemma-3, GPT-J, Granite) is built from a config
written out in this file -- nothing is downloaded -- with a fixed torch seed,
in float32, in both the "eager" and the "sdpa" attention implementation
(GPT-J: eager only -- transformers has no sdpa GPT-J). The graph is

    input_ids[batch, seq] (int64), attention_mask[batch, seq] (int64)
        -> logits[batch, seq, vocab] (float32)

with `batch` and `seq` symbolic and the KV cache disabled. attention_mask
(1 = token, 0 = padding) exports cleanly and is what real exports carry, so
it is kept; all-ones is the plain causal case. Position ids are not an input:
the models count positions 0..seq-1 themselves, padding included.

The models are exported with the torch.onnx dynamo exporter (the TorchScript
exporter does not handle transformers 5). That exporter records, for every
node, the Python stack that produced it -- absolute paths into the exporting
machine's site-packages and home directory -- in `metadata_props` and
`doc_string`. Those are stripped everywhere before saving, so the files are
small, reproducible and do not depend on where they were made; the serialized
bytes are checked afterwards for leftover paths.

Every exported file is run with onnxruntime at batch 1 and 2 (unpadded, and
with one row left-padded) and at sequence lengths other than the traced one,
and its logits are compared with the PyTorch model's. A model that does not
match is not written; the script exits nonzero at the end if any model failed.

With --with-past the script exports, instead, the same models (sdpa) with a
KV cache in optimum naming, as FAMILY-sdpa-past.onnx:

    input_ids[batch, seq], attention_mask[batch, past + seq] (the exporter
    cannot state the sum: its length is a symbol of its own, "past_seq"),
    past_key_values.N.key / .value[batch, kv_heads, past, head_dim]
        -> logits[batch, seq, vocab], present.N.key / .value[batch, kv_heads,
           past + seq, head_dim]

(past_inputs true in the manifest). The model runs on a DynamicCache built
from the past tensors with one full (unwindowed) layer per model layer, so
present.N is exactly Concat(past, new) also in sliding-window models; the
window is applied by the mask. verify_past() checks them with an empty past
(past 0) and incrementally (a PyTorch-made past of several lengths, one row
left-padded) against the PyTorch model without a cache, and the present
outputs against PyTorch's cache.

Usage:
    python3 tools/export/export_hf_fixtures.py [--out test/fixtures/hf]
        [--only llama,gpt2] [--check-only] [--with-past]

Alongside the .onnx files, manifest.json records each model's true config
values (layers, heads, windows, softcaps, rope, norm kind, ...), which tests of
the compiler compare against. rope_theta is the theta of the full-attention
layers; rope_local_theta is that of the windowed layers where the config gives
them their own (Gemma-3), else null. qk_norm says whether queries and keys are
RMS-normalized per head before rope (Qwen3, Gemma-3). rope_style is how rope
pairs the rotated dims: "half_split" (rotate_half: i with i + rotary_dim/2) or
"interleaved" (GPT-J's rotate_every_two: 2i with 2i + 1); null without rope.
Granite's entries also carry its config's embedding_multiplier,
residual_multiplier, attention_multiplier (the attention scale) and
logits_scaling (the logits are divided by it); other entries lack them.
As in transformers, a query at position q in a
windowed layer attends to keys q - sliding_window < k <= q.
"""

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
import warnings

import numpy as np
import onnx
import onnxruntime as ort
from google.protobuf.message import Message
import torch
import transformers
from transformers import AutoModelForCausalLM

SEED = 0
IMPLS = ("eager", "sdpa")
FAMILY_IMPLS = {"gptj": ("eager",)}  # families without an sdpa implementation
TRACE_BATCH = 2  # >= 2 so torch.export does not specialize the batch to 1
TRACE_SEQ = 5
CHECK_BATCHES = (1, 2)
CHECK_SEQS = (3, TRACE_SEQ, 11)
TOLERANCE = 1e-3
OPSET = 20
INPUTS = ("input_ids", "attention_mask")
PAST_IMPL = "sdpa"
PAST_FAMILIES = ("llama", "mistral")  # --with-past default
TRACE_PAST = 3
CHECK_PASTS = (0, 1, 6)
FORBIDDEN = (b"/home", b"/root", b"/work", b"/tmp", b"site-packages")

# Shared tiny shape: 2 layers, hidden 64 = 4 heads x head_dim 16.
LAYERS = 2
HIDDEN = 64
HEADS = 4
HEAD_DIM = 16
FFN = 128
VOCAB = 256
MAX_POS = 128
# Larger than the usual 0.02 so that attention scores are far from uniform
# and mask / scale / softcap mistakes show up clearly in the logits.
INIT_STD = 0.2
# Noise added to every parameter after init: norm weights and biases start
# as constants (ones / zeros), which would hide a compiler that drops a bias
# or applies the wrong layer's norm.
JITTER_STD = 0.1


# ---------------------------------------------------------------------------
# Family configs. Each takes the attention implementation and returns
# (config, manifest facts that the config does not state directly).
# ---------------------------------------------------------------------------

def llama_config(impl):
    """LLaMA: grouped-query attention (4 query heads share 2 KV heads)."""
    cfg = transformers.LlamaConfig(
        num_hidden_layers=LAYERS, hidden_size=HIDDEN, num_attention_heads=HEADS,
        num_key_value_heads=2, head_dim=HEAD_DIM, intermediate_size=FFN,
        vocab_size=VOCAB, max_position_embeddings=MAX_POS,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        initializer_range=INIT_STD)
    return cfg, dict(norm="rms", activation=cfg.hidden_act, mlp="gated",
                     qkv_bias=cfg.attention_bias, fused_qkv=False,
                     positions="rope")


def mistral_config(impl):
    """Mistral: GQA plus a sliding window (8) shorter than the checked lengths."""
    cfg = transformers.MistralConfig(
        num_hidden_layers=LAYERS, hidden_size=HIDDEN, num_attention_heads=HEADS,
        num_key_value_heads=2, head_dim=HEAD_DIM, intermediate_size=FFN,
        vocab_size=VOCAB, max_position_embeddings=MAX_POS, sliding_window=8,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        initializer_range=INIT_STD)
    return cfg, dict(norm="rms", activation=cfg.hidden_act, mlp="gated",
                     qkv_bias=False, fused_qkv=False, positions="rope")


def qwen2_config(impl):
    """Qwen2: GQA with bias on the q/k/v projections (not on o_proj)."""
    cfg = transformers.Qwen2Config(
        num_hidden_layers=LAYERS, hidden_size=HIDDEN, num_attention_heads=HEADS,
        num_key_value_heads=2, intermediate_size=FFN, vocab_size=VOCAB,
        max_position_embeddings=MAX_POS, use_sliding_window=False,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
        initializer_range=INIT_STD)
    return cfg, dict(norm="rms", activation=cfg.hidden_act, mlp="gated",
                     qkv_bias=True, fused_qkv=False, positions="rope")


def gpt2_config(impl):
    """GPT-2: multi-head attention, learned positions, LayerNorm, fused c_attn."""
    cfg = transformers.GPT2Config(
        n_layer=LAYERS, n_embd=HIDDEN, n_head=HEADS, n_inner=FFN,
        vocab_size=VOCAB, n_positions=MAX_POS, resid_pdrop=0.0, embd_pdrop=0.0,
        attn_pdrop=0.0, summary_first_dropout=0.0, bos_token_id=0,
        eos_token_id=0, initializer_range=INIT_STD)
    return cfg, dict(norm="layer", activation=cfg.activation_function,
                     mlp="plain", qkv_bias=True, fused_qkv=True,
                     positions="learned")


def falcon_config(impl):
    """Falcon (7B-style): multi-query attention (1 KV head), parallel attn+MLP."""
    cfg = transformers.FalconConfig(
        num_hidden_layers=LAYERS, hidden_size=HIDDEN, num_attention_heads=HEADS,
        multi_query=True, new_decoder_architecture=False, parallel_attn=True,
        alibi=False, bias=False, ffn_hidden_size=FFN, vocab_size=VOCAB,
        max_position_embeddings=MAX_POS,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        initializer_range=INIT_STD)
    return cfg, dict(norm="layer", activation=cfg.activation, mlp="plain",
                     qkv_bias=cfg.bias, fused_qkv=True, positions="rope",
                     num_kv_heads=1, parallel_attn=True)


def phi3_config(impl):
    """Phi-3: fused qkv_proj (GQA split) and fused gate_up_proj."""
    cfg = transformers.Phi3Config(
        num_hidden_layers=LAYERS, hidden_size=HIDDEN, num_attention_heads=HEADS,
        num_key_value_heads=2, intermediate_size=FFN, vocab_size=VOCAB,
        max_position_embeddings=MAX_POS, original_max_position_embeddings=MAX_POS,
        pad_token_id=0, bos_token_id=1, eos_token_id=2, sliding_window=None,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0,
                         "partial_rotary_factor": 1.0},
        initializer_range=INIT_STD)
    return cfg, dict(norm="rms", activation=cfg.hidden_act, mlp="gated",
                     qkv_bias=False, fused_qkv=True, positions="rope")


def gemma2_config(impl):
    """Gemma-2: alternating sliding (layer 0) / full (layer 1) attention,
    attention and final logit softcapping, query_pre_attn_scalar != head_dim.
    The softcaps are well below the real 50/30 so that they bite on a tiny
    random model.

    SDPA cannot softcap attention logits: some transformers 5 releases refuse
    sdpa for Gemma-2, others accept it and silently skip the softcap. So the
    sdpa variant is a Gemma-2 without attention softcapping (final softcapping
    kept), for which sdpa is exact; the manifest records that."""
    cfg = transformers.Gemma2Config(
        num_hidden_layers=LAYERS, hidden_size=HIDDEN, num_attention_heads=HEADS,
        num_key_value_heads=2, head_dim=HEAD_DIM, intermediate_size=FFN,
        vocab_size=VOCAB, max_position_embeddings=MAX_POS, sliding_window=8,
        layer_types=["sliding_attention", "full_attention"],
        query_pre_attn_scalar=32,
        attn_logit_softcapping=5.0 if impl == "eager" else None,
        final_logit_softcapping=10.0,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        initializer_range=INIT_STD)
    return cfg, dict(norm="rms", activation=cfg.hidden_activation, mlp="gated",
                     qkv_bias=cfg.attention_bias, fused_qkv=False,
                     positions="rope", allow_sdpa=impl == "sdpa")


def qwen3_config(impl):
    """Qwen3: GQA plus a per-head RMSNorm on queries and keys (q_norm/k_norm,
    over head_dim, before rope); no projection bias."""
    cfg = transformers.Qwen3Config(
        num_hidden_layers=LAYERS, hidden_size=HIDDEN, num_attention_heads=HEADS,
        num_key_value_heads=2, head_dim=HEAD_DIM, intermediate_size=FFN,
        vocab_size=VOCAB, max_position_embeddings=MAX_POS,
        use_sliding_window=False,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
        initializer_range=INIT_STD)
    return cfg, dict(norm="rms", activation=cfg.hidden_act, mlp="gated",
                     qkv_bias=cfg.attention_bias, fused_qkv=False,
                     positions="rope", qk_norm=True)


def gptneox_config(impl):
    """GPT-NeoX (Pythia-style): partial rotary (rotary_pct 0.25: rope on the
    first 4 of 16 dims of each head), fused per-head-interleaved
    query_key_value with bias, parallel residual (x + attn(ln1 x) + mlp(ln2 x)),
    untied output embedding."""
    cfg = transformers.GPTNeoXConfig(
        num_hidden_layers=LAYERS, hidden_size=HIDDEN, num_attention_heads=HEADS,
        intermediate_size=FFN, vocab_size=VOCAB, max_position_embeddings=MAX_POS,
        use_parallel_residual=True, attention_bias=True, hidden_dropout=0.0,
        attention_dropout=0.0,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0,
                         "partial_rotary_factor": 0.25},
        initializer_range=INIT_STD)
    return cfg, dict(norm="layer", activation=cfg.hidden_act, mlp="plain",
                     qkv_bias=cfg.attention_bias, fused_qkv=True,
                     positions="rope", parallel_attn=cfg.use_parallel_residual)


def starcoder2_config(impl):
    """StarCoder2: GQA, a sliding window (8) shorter than the checked lengths
    in every layer, LayerNorm with bias, plain (non-gated) GELU MLP, bias on
    every linear layer."""
    cfg = transformers.Starcoder2Config(
        num_hidden_layers=LAYERS, hidden_size=HIDDEN, num_attention_heads=HEADS,
        num_key_value_heads=2, intermediate_size=FFN, vocab_size=VOCAB,
        max_position_embeddings=MAX_POS, sliding_window=8, use_bias=True,
        residual_dropout=0.0, embedding_dropout=0.0, attention_dropout=0.0,
        bos_token_id=0, eos_token_id=0,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        initializer_range=INIT_STD)
    return cfg, dict(norm="layer", activation=cfg.hidden_act, mlp="plain",
                     qkv_bias=cfg.use_bias, fused_qkv=False, positions="rope")


def gemma3_config(impl):
    """Gemma-3 (text-only Gemma3ForCausalLM): alternating sliding (layer 0) /
    full (layer 1) attention, per-head q/k RMSNorm, query_pre_attn_scalar !=
    head_dim, and a rope theta per layer type (10k local, 1M global). No
    softcapping, as in the released Gemma-3 configs, so sdpa is exact."""
    cfg = transformers.Gemma3TextConfig(
        num_hidden_layers=LAYERS, hidden_size=HIDDEN, num_attention_heads=HEADS,
        num_key_value_heads=2, head_dim=HEAD_DIM, intermediate_size=FFN,
        vocab_size=VOCAB, max_position_embeddings=MAX_POS, sliding_window=8,
        layer_types=["sliding_attention", "full_attention"],
        query_pre_attn_scalar=32,
        rope_parameters={
            "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
            "full_attention": {"rope_type": "default", "rope_theta": 1000000.0}},
        initializer_range=INIT_STD)
    return cfg, dict(norm="rms", activation=cfg.hidden_activation, mlp="gated",
                     qkv_bias=cfg.attention_bias, fused_qkv=False,
                     positions="rope", qk_norm=True)


def gptj_config(impl):
    """GPT-J: interleaved ("rotate_every_two") partial rotary (rotary_dim 8 of
    head_dim 16), theta 10000 fixed by the implementation; one LayerNorm
    feeding parallel attention and MLP (x + attn(ln x) + mlp(ln x)); no q/k/v
    bias; untied lm_head with bias. transformers has only an eager GPT-J."""
    cfg = transformers.GPTJConfig(
        n_layer=LAYERS, n_embd=HIDDEN, n_head=HEADS, rotary_dim=8, n_inner=FFN,
        vocab_size=VOCAB, n_positions=MAX_POS, resid_pdrop=0.0, embd_pdrop=0.0,
        attn_pdrop=0.0, bos_token_id=0, eos_token_id=0,
        initializer_range=INIT_STD)
    return cfg, dict(norm="layer", activation=cfg.activation_function,
                     mlp="plain", qkv_bias=False, fused_qkv=False,
                     positions="rope", parallel_attn=True,
                     rope={"rope_theta": 10000.0,
                           "partial_rotary_factor": cfg.rotary_dim / HEAD_DIM},
                     rope_style="interleaved")


def granite_config(impl):
    """Granite: LLaMA with multipliers -- embeddings times
    embedding_multiplier, every sublayer output times residual_multiplier
    before its residual add, attention_multiplier as the attention scale
    (instead of 1/sqrt(head_dim)) and the logits divided by logits_scaling."""
    cfg = transformers.GraniteConfig(
        num_hidden_layers=LAYERS, hidden_size=HIDDEN, num_attention_heads=HEADS,
        num_key_value_heads=2, intermediate_size=FFN,
        vocab_size=VOCAB, max_position_embeddings=MAX_POS,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        embedding_multiplier=12.0, residual_multiplier=0.22,
        attention_multiplier=0.125, logits_scaling=8.0,
        initializer_range=INIT_STD)
    return cfg, dict(norm="rms", activation=cfg.hidden_act, mlp="gated",
                     qkv_bias=cfg.attention_bias, fused_qkv=False,
                     positions="rope",
                     multipliers={
                         "embedding_multiplier": cfg.embedding_multiplier,
                         "residual_multiplier": cfg.residual_multiplier,
                         "attention_multiplier": cfg.attention_multiplier,
                         "logits_scaling": cfg.logits_scaling})


FAMILIES = {
    "llama": llama_config,
    "mistral": mistral_config,
    "qwen2": qwen2_config,
    "gpt2": gpt2_config,
    "falcon": falcon_config,
    "phi3": phi3_config,
    "gemma2": gemma2_config,
    "qwen3": qwen3_config,
    "gptneox": gptneox_config,
    "starcoder2": starcoder2_config,
    "gemma3": gemma3_config,
    "gptj": gptj_config,
    "granite": granite_config,
}


def manifest_entry(family, impl, cfg, extra):
    """The config facts a compiler test checks, read back from the config."""
    layers = cfg.num_hidden_layers
    heads = cfg.num_attention_heads
    window = getattr(cfg, "sliding_window", None)
    layer_types = getattr(cfg, "layer_types", None)
    if window is None:
        windowed = [False] * layers
    elif layer_types is not None:
        windowed = [t == "sliding_attention" for t in layer_types]
    else:
        windowed = [True] * layers
    if not any(windowed):
        window = None
    # GPT-J's config has no rope_parameters: the family states them.
    rope = getattr(cfg, "rope_parameters", None) or extra.get("rope") or {}
    local_rope = None
    if "full_attention" in rope:  # one rope per layer type (Gemma-3)
        local_rope = rope.get("sliding_attention") if any(windowed) else None
        rope = rope["full_attention"]
    positions = extra.get("positions")
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // heads
    kv_heads = extra.get("num_kv_heads",
                         getattr(cfg, "num_key_value_heads", None) or heads)
    entry = {
        "file": f"{family}-{impl}.onnx",
        "family": family,
        "impl": impl,
        "num_layers": layers,
        "hidden_size": cfg.hidden_size,
        "num_heads": heads,
        "num_kv_heads": kv_heads,
        "head_dim": head_dim,
        "vocab_size": cfg.vocab_size,
        "intermediate_size": getattr(cfg, "intermediate_size", None)
        or getattr(cfg, "ffn_hidden_size", None) or cfg.n_inner,
        "max_position_embeddings": cfg.max_position_embeddings,
        "sliding_window": window,
        "windowed_layers": windowed,
        "attn_logit_softcapping": getattr(cfg, "attn_logit_softcapping", None),
        "final_logit_softcapping": getattr(cfg, "final_logit_softcapping", None),
        "query_pre_attn_scalar": getattr(cfg, "query_pre_attn_scalar", None),
        "positions": positions,
        "rope_theta": rope.get("rope_theta") if positions == "rope" else None,
        "rope_local_theta": local_rope.get("rope_theta")
        if positions == "rope" and local_rope else None,
        "partial_rotary_factor": rope.get("partial_rotary_factor", 1.0)
        if positions == "rope" else None,
        "rope_style": extra.get("rope_style", "half_split")
        if positions == "rope" else None,
        "qkv_bias": bool(extra["qkv_bias"]),
        "fused_qkv": bool(extra["fused_qkv"]),
        "norm": extra["norm"],
        "norm_eps": getattr(cfg, "rms_norm_eps", None)
        or getattr(cfg, "layer_norm_epsilon", None)
        or getattr(cfg, "layer_norm_eps", None)
        or getattr(cfg, "norm_epsilon", None),
        "qk_norm": bool(extra.get("qk_norm", False)),
        "activation": extra["activation"],
        "mlp": extra["mlp"],
        "parallel_attn": bool(extra.get("parallel_attn", False)),
        "tie_word_embeddings": bool(cfg.tie_word_embeddings),
        "inputs": list(INPUTS),
        "outputs": ["logits"],
    }
    if "multipliers" in extra:  # Granite's scale factors
        entry.update(extra["multipliers"])
    return entry


def past_names(layers):
    inputs = list(INPUTS) + [f"past_key_values.{i}.{kv}" for i in range(layers)
                             for kv in ("key", "value")]
    outputs = ["logits"] + [f"present.{i}.{kv}" for i in range(layers)
                            for kv in ("key", "value")]
    return inputs, outputs


def past_manifest_entry(entry):
    """The manifest entry of a --with-past export of the model of `entry`."""
    entry = dict(entry)
    entry["file"] = entry["file"].replace(".onnx", "-past.onnx")
    entry["inputs"], entry["outputs"] = past_names(entry["num_layers"])
    entry["past_inputs"] = True
    return entry


class WithPast(torch.nn.Module):
    """The model over flat past tensors: (input_ids, attention_mask,
    past_key_values.0.key, .0.value, ...) -> (logits, present.0.key, ...).
    The cache is a DynamicCache of full layers (no config: a sliding-window
    layer would crop the present outputs); the mask applies the window."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.layers = model.config.num_hidden_layers

    def forward(self, input_ids, attention_mask, *past):
        cache = transformers.DynamicCache(
            ddp_cache_data=[(past[2 * i], past[2 * i + 1])
                            for i in range(self.layers)])
        out = self.model(input_ids=input_ids, attention_mask=attention_mask,
                         past_key_values=cache, use_cache=True)
        present = []
        for layer in out.past_key_values.layers:
            present += [layer.keys, layer.values]
        return (out.logits, *present)


@contextlib.contextmanager
def sdpa_allowed(cfg, allow):
    """Let transformers build an sdpa model for a class flagged as not
    supporting sdpa (used only where the unsupported feature is off)."""
    cls = AutoModelForCausalLM._model_mapping[type(cfg)]
    owner = next(c for c in cls.__mro__ if "_supports_sdpa" in vars(c))
    saved = owner._supports_sdpa
    if allow:
        owner._supports_sdpa = True
    try:
        yield
    finally:
        owner._supports_sdpa = saved


def build_model(family, impl, cfg_impl=None):
    """Random-weight float32 model of `family` running attention `impl`,
    built from the config the family gives for `cfg_impl` (default `impl`)."""
    cfg, extra = FAMILIES[family](cfg_impl or impl)
    cfg.use_cache = False
    torch.manual_seed(SEED)
    with sdpa_allowed(cfg, impl == "sdpa" and extra.get("allow_sdpa", False)):
        model = AutoModelForCausalLM.from_config(
            cfg, attn_implementation=impl, dtype=torch.float32)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * JITTER_STD)
    model.eval()
    entry = manifest_entry(family, impl, model.config, extra)
    # PyTorch's own count (tied tables once): what `attnc inspect` must report.
    entry["num_parameters"] = sum(p.numel() for p in model.parameters())
    return model, entry


def strip_metadata(message):
    """Clear doc_string and metadata_props on every protobuf message inside
    `message` (nodes, graphs, functions, value infos, tensors, the model)."""
    for field, value in message.ListFields():
        if field.name in ("doc_string", "metadata_props"):
            message.ClearField(field.name)
        elif field.type == field.TYPE_MESSAGE:
            if isinstance(value, Message):
                strip_metadata(value)
            else:  # repeated field
                for item in value:
                    strip_metadata(item)


def check_no_paths(data, name):
    leaks = [s.decode() for s in FORBIDDEN if s in data]
    assert not leaks, f"{name}: serialized model still contains {leaks}"


def export(model, path):
    """Export with the dynamo exporter, strip metadata, save as one file
    (weights inline, no external data). Returns the size in bytes."""
    batch = torch.export.Dim("batch", min=1, max=64)
    seq = torch.export.Dim("seq", min=1, max=model.config.max_position_embeddings)
    ids = torch.randint(0, model.config.vocab_size, (TRACE_BATCH, TRACE_SEQ))
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    with torch.no_grad():
        program = torch.onnx.export(
            model, (), kwargs=inputs, dynamo=True, opset_version=OPSET,
            input_names=list(INPUTS), output_names=["logits"],
            dynamic_shapes={name: {0: batch, 1: seq} for name in INPUTS},
            optimize=True, verbose=False)
    return save_exported(program.model_proto, path)


def save_exported(proto, path):
    """Strips node metadata (it records absolute source paths), checks the
    model and that no path of this machine is left, writes one file. Returns
    the size in bytes."""
    strip_metadata(proto)
    onnx.checker.check_model(proto)
    data = proto.SerializeToString()
    check_no_paths(data, path)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def export_past(model, entry, path):
    """export() for the WithPast wrapper: past length `past` dynamic (traced
    at TRACE_PAST > 0), the attention mask's length a symbol of its own."""
    cfg = model.config
    batch = torch.export.Dim("batch", min=1, max=64)
    seq = torch.export.Dim("seq", min=1, max=cfg.max_position_embeddings)
    past = torch.export.Dim("past", min=0, max=cfg.max_position_embeddings)
    total = torch.export.Dim("past_seq", min=1, max=2 * cfg.max_position_embeddings)
    ids = torch.randint(0, cfg.vocab_size, (TRACE_BATCH, TRACE_SEQ))
    mask = torch.ones(TRACE_BATCH, TRACE_PAST + TRACE_SEQ, dtype=torch.int64)
    kv_shape = (TRACE_BATCH, entry["num_kv_heads"], TRACE_PAST, entry["head_dim"])
    pasts = [torch.randn(kv_shape) for _ in range(2 * cfg.num_hidden_layers)]
    inputs, outputs = past_names(cfg.num_hidden_layers)
    dynamic = ({0: batch, 1: seq}, {0: batch, 1: total},
               tuple({0: batch, 2: past} for _ in pasts))
    with torch.no_grad():
        program = torch.onnx.export(
            WithPast(model).eval(), (ids, mask, *pasts), dynamo=True,
            opset_version=OPSET, input_names=inputs, output_names=outputs,
            dynamic_shapes=dynamic, optimize=True, verbose=False)
    return save_exported(program.model_proto, path)


def verify_past(model, entry, path):
    """Run a --with-past file with onnxruntime: for each past length in
    CHECK_PASTS and new length in CHECK_SEQS, batch 2 with row 1 left-padded
    by two tokens (when the whole sequence is long enough), the past made by
    the PyTorch model itself (empty for 0). Compares the logits of the new
    tokens with the PyTorch model run without a cache over past + new tokens,
    and the present outputs with PyTorch's cache. Returns ({seq: max abs
    diff}, 0.0)."""
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    inputs, outputs = past_names(entry["num_layers"])
    rng = np.random.default_rng(SEED + 2)
    kv_shape = (2, entry["num_kv_heads"], 0, entry["head_dim"])
    diffs = {}
    for seq in CHECK_SEQS:
        diffs[seq] = 0.0
        for past in CHECK_PASTS:
            total = past + seq
            ids = rng.integers(0, entry["vocab_size"], (2, total), dtype=np.int64)
            mask = np.ones_like(ids)
            if total > 3:
                mask[1, :2] = 0
            pt = {k: torch.from_numpy(v) for k, v in
                  (("input_ids", ids), ("attention_mask", mask))}
            with torch.no_grad():
                want = model(**pt).logits.numpy()
                if past:
                    # Full layers, as in WithPast (see there).
                    cache = model(input_ids=pt["input_ids"][:, :past],
                                  attention_mask=pt["attention_mask"][:, :past],
                                  past_key_values=transformers.DynamicCache(),
                                  use_cache=True).past_key_values
                    pasts = [t.numpy() for layer in cache.layers
                             for t in (layer.keys, layer.values)]
                else:
                    pasts = [np.zeros(kv_shape, np.float32)
                             for _ in range(2 * entry["num_layers"])]
                full = model(**pt, past_key_values=transformers.DynamicCache(),
                             use_cache=True).past_key_values
                want_present = [t.numpy() for layer in full.layers
                                for t in (layer.keys, layer.values)]
            feed = {"input_ids": ids[:, past:], "attention_mask": mask}
            feed.update(zip(inputs[2:], pasts))
            got = session.run(outputs, feed)
            real = mask[:, past:].astype(bool)
            logits = got[0]
            diff = (float(np.abs(logits - want[:, past:])[real].max())
                    if logits.shape == want[:, past:].shape else float("inf"))
            for g, w in zip(got[1:], want_present):
                keep = mask.astype(bool)  # padded positions hold garbage
                diff = max(diff, float(np.abs(g - w).transpose(0, 2, 1, 3)[keep].max())
                           if g.shape == w.shape else float("inf"))
            diffs[seq] = max(diffs[seq], diff)
    return diffs, 0.0


def check_inputs(vocab, seq, rng):
    """The inputs verify() runs at one length: batch 1 and batch 2 unpadded,
    and batch 2 with its second row left-padded by a third of the length."""
    cases = []
    for batch in CHECK_BATCHES:
        ids = rng.integers(0, vocab, (batch, seq), dtype=np.int64)
        cases.append((ids, np.ones_like(ids)))
    ids = rng.integers(0, vocab, (2, seq), dtype=np.int64)
    mask = np.ones_like(ids)
    mask[1, :max(1, seq // 3)] = 0
    cases.append((ids, mask))
    return cases


def verify(model, reference, path):
    """Run the file with onnxruntime on fresh inputs (see check_inputs) at
    each length in CHECK_SEQS and compare its logits with the PyTorch
    model's, at the non-padding positions. Also compare the PyTorch model
    with `reference` (the same weights with eager attention), which catches
    an attention implementation that silently computes something else.
    Returns ({seq: max abs diff}, max abs diff to reference)."""
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(SEED + 1)
    diffs = {}
    ref_diff = 0.0
    for seq in CHECK_SEQS:
        diffs[seq] = 0.0
        for ids, mask in check_inputs(model.config.vocab_size, seq, rng):
            feed = {"input_ids": ids, "attention_mask": mask}
            with torch.no_grad():
                pt_feed = {k: torch.from_numpy(v) for k, v in feed.items()}
                want = model(**pt_feed).logits.numpy()
                ref = reference(**pt_feed).logits.numpy()
            (got,) = session.run(["logits"], feed)
            real = mask.astype(bool)
            diff = (float(np.abs(got - want)[real].max())
                    if got.shape == want.shape else float("inf"))
            diffs[seq] = max(diffs[seq], diff)
            ref_diff = max(ref_diff, float(np.abs(want - ref)[real].max()))
    return diffs, ref_diff


def op_count(path):
    proto = onnx.load(path)
    return len(proto.graph.node) + sum(len(f.node) for f in proto.functions)


def process(family, impl, out, manifest, check_only, with_past=False):
    """Export (unless check_only) and verify one model; print one summary or
    FAILED line; return whether it passed. An export that fails removes any
    older file of that name and its manifest entry, so that the folder only
    holds files this run verified."""
    name = f"{family}-{impl}" + ("-past" if with_past else "")
    path = os.path.join(out, name + ".onnx")
    tmp = None
    try:
        model, entry = build_model(family, impl)
        if with_past:
            entry = past_manifest_entry(entry)
            do_export = lambda p: export_past(model, entry, p)
            do_verify = lambda p: verify_past(model, entry, p)
        else:
            reference = (model if impl == "eager"
                         else build_model(family, "eager", cfg_impl=impl)[0])
            do_export = lambda p: export(model, p)
            do_verify = lambda p: verify(model, reference, p)
        if check_only:
            with open(path, "rb") as f:
                data = f.read()
            check_no_paths(data, path)
            size = len(data)
            if manifest.get(entry["file"]) != entry:
                raise ValueError("manifest.json entry differs from the config")
            diffs, ref_diff = do_verify(path)
        else:
            # Export and verify a temporary file; move it into place below.
            fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=out)
            os.close(fd)
            size = do_export(tmp)
            diffs, ref_diff = do_verify(tmp)
        per_len = " ".join(f"L{seq}={d:.1e}" for seq, d in diffs.items())
        worst = max(diffs.values())
        if worst >= TOLERANCE:
            error = (f"onnxruntime vs PyTorch max abs diff {worst:.3e} "
                     f"(tolerance {TOLERANCE}) [{per_len}]")
        elif ref_diff >= TOLERANCE:
            error = f"PyTorch {impl} differs from eager by {ref_diff:.3e}"
        else:
            error = None
    except Exception as e:  # report it and go on with the other models
        error = f"{type(e).__name__}: {e}"

    if not check_only:
        if error is None:
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
            manifest[entry["file"]] = entry
        else:
            manifest.pop(name + ".onnx", None)
            for stale in (path, tmp):
                if stale and os.path.exists(stale):
                    os.remove(stale)
    if error is not None:
        print(f"FAILED {name}: {error}"
              + ("" if check_only else "; file not written"))
        return False
    print(f"ok {name}.onnx {size / 1024:.0f} KiB, {op_count(path)} ops, "
          f"max abs diff {per_len}"
          + (f", vs eager {ref_diff:.1e}" if impl != "eager" and not with_past
             else ""))
    return True


def load_manifest(folder):
    """folder/manifest.json, or {} where there is none yet."""
    path = os.path.join(folder, "manifest.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def save_manifest(folder, manifest):
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(dict(sorted(manifest.items())), f, indent=2)
        f.write("\n")


def quiet_exporter():
    # input_ids and attention_mask share the batch/seq dims on purpose.
    warnings.filterwarnings("ignore", message=".*axis name.*will not be used")
    warnings.filterwarnings("ignore", message=".*LeafSpec.*is deprecated")
    logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(
        logging.ERROR)  # "torchvision is not installed" notices


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join("test", "fixtures", "hf"),
                        help="output folder (default: %(default)s)")
    parser.add_argument("--only", default="",
                        help="comma-separated families, e.g. llama,gpt2 "
                             f"(default: all of {','.join(FAMILIES)})")
    parser.add_argument("--check-only", action="store_true",
                        help="verify the files and manifest already in --out; "
                             "export nothing")
    parser.add_argument("--with-past", action="store_true",
                        help="the models with past_key_values inputs and "
                             "present outputs (FAMILY-sdpa-past.onnx; default "
                             f"families: {','.join(PAST_FAMILIES)})")
    args = parser.parse_args()

    families = ([f for f in args.only.split(",") if f]
                or list(PAST_FAMILIES if args.with_past else FAMILIES))
    def impls(family):
        return ((PAST_IMPL,) if args.with_past
                else FAMILY_IMPLS.get(family, IMPLS))
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        parser.error(f"unknown families {unknown}; known: {list(FAMILIES)}")
    if not args.check_only:
        os.makedirs(args.out, exist_ok=True)
    manifest = load_manifest(args.out)

    quiet_exporter()
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"onnx {onnx.__version__}, onnxruntime {ort.__version__}")
    failed = [f"{family}-{impl}" for family in families for impl in impls(family)
              if not process(family, impl, args.out, manifest, args.check_only,
                             args.with_past)]

    if not args.check_only:
        save_manifest(args.out, manifest)
    if failed:
        print(f"FAILED: {len(failed)} model(s): {', '.join(failed)}")
        return 1
    print(f"all {sum(len(impls(f)) for f in families)} models passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
