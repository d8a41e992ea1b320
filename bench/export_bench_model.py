#!/usr/bin/env python3
"""Export the Llama-shaped benchmark model used by bench/cpu_vs_ort.py.

One random-weight float32 LlamaForCausalLM (built from the config below,
nothing downloaded, torch seed 0) is exported twice with the torch.onnx
dynamo exporter, opset 20, like tools/export/export_hf_fixtures.py:

  stateless.onnx  input_ids[batch, seq], attention_mask[batch, seq]
                  -> logits[batch, seq, vocab]; no KV cache. This is the
                  form attnc compiles (attnc inserts its own paged KV cache).

  cached.onnx     input_ids[batch, seq], attention_mask[batch, past + seq],
                  past_key_values.N.key / .value [batch, kv_heads, past, head_dim]
                  -> logits[batch, 1, vocab] (last position only, as a
                  generation server asks for), present.N.key / .value
                  [batch, kv_heads, past + seq, head_dim]. Optimum-style
                  names. onnxruntime's baseline prefills with past = 0 and
                  then decodes one token a step, feeding present back as
                  past, so it never recomputes the prefix.

The cached form wraps the same HF model: the flat past tensors are put into
a transformers DynamicCache inside forward and the updated cache layers are
returned, so torch.export traces HF's own cache path (no hand-written
model). Both files are checked against PyTorch with onnxruntime (the cached
one at past = 0 and past > 0, batch 1 and 2) before they are written.

The exporter records absolute source paths in every node's metadata_props
and doc_string; they are stripped, and the bytes are checked for leftovers.
Weights are saved as external data (stateless.onnx.data, cached.onnx.data)
next to each file, the form real exports take; attnc maps it directly.

Shape (why): hidden 512 = 8 heads x head_dim 64 with 2 KV heads (GQA 4:1,
Llama-2/3 style), 8 layers, SwiGLU intermediate 1536, vocab 8192, max
positions 1024 (room for a 512-token prompt plus decode). About 33 M
parameters, 130 MB of float32 weights: far above the 32 MB L3 of the dev
box, so decode reads its weights from DRAM every step as a real model does,
while prefill of 512 tokens is ~35 GFLOP, a few seconds on 2 cores: big
enough to measure, small enough to keep each benchmark under a minute.

Preset tinyllama-1.1b (bench/gpu_e2e.py): TinyLlama-1.1B's shape (hidden
2048, 22 layers, 32 heads x 64 with 4 KV heads, SwiGLU 5632, vocab 32000,
2048 positions), same seed and export path, stateless form only (the GPU
baselines run the HF model itself); 1.1 B parameters, 4.4 GB of float32
external data, so --no-verify skips the onnxruntime check there.

Preset tinyllama-8l: the same with 8 layers.

Usage:
    python3 bench/export_bench_model.py OUT_DIR [--preset small|tinyllama-1.1b|tinyllama-8l]
        [--only stateless|cached] [--no-verify] [--data-from-graph GRAPH]

--data-from-graph GRAPH skips the export (minutes for 1.1 B parameters): GRAPH,
an earlier stateless export of the same preset with its external data
stripped (test/fixtures/bench/), becomes stateless.onnx, and its data file is
written from the model's parameters by initializer name (exact, seconds).
The verification, if asked, runs on the result as after an export.
"""

import argparse
import logging
import os
import sys
import time
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
import transformers
from transformers import AutoModelForCausalLM, DynamicCache

# The fixture exporter's metadata stripping (node metadata records absolute
# source paths), shared rather than copied.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "export"))
from export_hf_fixtures import strip_metadata  # noqa: E402

SEED = 0
OPSET = 20
CONFIG = dict(
    num_hidden_layers=8, hidden_size=512, num_attention_heads=8,
    num_key_value_heads=2, head_dim=64, intermediate_size=1536,
    vocab_size=8192, max_position_embeddings=1024,
    rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
    # Larger than the usual 0.02 so the logits of a random model are not
    # nearly flat: greedy tokens then have clear margins and two correct
    # implementations pick the same ones.
    initializer_range=0.05,
    tie_word_embeddings=False)
PRESETS = {
    "small": CONFIG,
    "tinyllama-1.1b": dict(
        CONFIG, num_hidden_layers=22, hidden_size=2048, num_attention_heads=32,
        num_key_value_heads=4, head_dim=64, intermediate_size=5632,
        vocab_size=32000, max_position_embeddings=2048),
}
# The same shape cut to 8 layers (0.5 B parameters): a quicker run.
PRESETS["tinyllama-8l"] = dict(PRESETS["tinyllama-1.1b"], num_hidden_layers=8)
FORBIDDEN = (b"/home", b"/root", b"/work", b"/tmp", b"site-packages")
TOLERANCE = 1e-3


def build_model(impl="sdpa", preset="small"):
    cfg = transformers.LlamaConfig(**PRESETS[preset])
    torch.manual_seed(SEED)
    model = AutoModelForCausalLM.from_config(
        cfg, attn_implementation=impl, dtype=torch.float32)
    model.eval()
    return model


class CachedLM(torch.nn.Module):
    """input_ids, attention_mask, flat past [k0, v0, k1, v1, ...] ->
    (last-position logits, k0', v0', ...)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.layers = model.config.num_hidden_layers

    def forward(self, input_ids, attention_mask, past):
        cache = DynamicCache(
            ddp_cache_data=[(past[2 * i], past[2 * i + 1])
                            for i in range(self.layers)],
            config=self.model.config)
        out = self.model(input_ids=input_ids, attention_mask=attention_mask,
                         past_key_values=cache, use_cache=True,
                         logits_to_keep=1)
        present = []
        for layer in out.past_key_values.layers:
            present += [layer.keys, layer.values]
        return (out.logits, *present)


def save(proto, path):
    strip_metadata(proto)
    data_name = os.path.basename(path) + ".data"
    if os.path.exists(path + ".data"):
        os.remove(path + ".data")
    onnx.save_model(proto, path, save_as_external_data=True,
                    all_tensors_to_one_file=True, location=data_name,
                    size_threshold=1024)
    with open(path, "rb") as f:
        data = f.read()
    leaks = [s.decode() for s in FORBIDDEN if s in data]
    assert not leaks, f"{path}: still contains {leaks}"
    onnx.checker.check_model(path)


def export_stateless(model, path):
    batch = torch.export.Dim("batch", min=1, max=64)
    seq = torch.export.Dim("seq", min=1, max=model.config.max_position_embeddings)
    ids = torch.randint(0, model.config.vocab_size, (2, 5))
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    model.config.use_cache = False
    with torch.no_grad():
        program = torch.onnx.export(
            model, (), kwargs=inputs, dynamo=True, opset_version=OPSET,
            input_names=["input_ids", "attention_mask"], output_names=["logits"],
            dynamic_shapes={k: {0: batch, 1: seq} for k in inputs},
            optimize=True, verbose=False)
    save(program.model_proto, path)


def linear_call_order(model):
    """The model's nn.Linear modules in the order one forward pass calls them
    (the exporter names their MatMuls node_linear, node_linear_1, ... in
    that order)."""
    order = []
    hooks = [m.register_forward_hook(lambda mod, args, out: order.append(mod))
             for m in model.modules() if isinstance(m, torch.nn.Linear)]
    use_cache = model.config.use_cache
    model.config.use_cache = False
    try:
        with torch.no_grad():
            model(input_ids=torch.zeros(1, 1, dtype=torch.int64))
    finally:
        model.config.use_cache = use_cache
        for h in hooks:
            h.remove()
    return order


def data_from_graph(model, graph_path, path):
    """stateless.onnx without a new export: GRAPH (this script's stateless
    export with its external data stripped, test/fixtures/bench/) copied to
    PATH, and PATH.data written from the model's parameters at the offsets
    GRAPH records. An initializer is a parameter of its name, or the
    transposed weight of the Linear whose MatMul (node_linear_k, the k-th
    call) reads it; every external initializer must resolve, with its
    recorded shape and length, or nothing is written."""
    try:
        graph = onnx.load(graph_path, load_external_data=False)
    except Exception as exc:  # a protobuf decode error or an OS error: name the file
        raise SystemExit(f"{graph_path}: not a readable ONNX graph ({type(exc).__name__}: {exc})")
    params = dict(model.named_parameters())
    linears = linear_call_order(model)
    linear_of = {}
    for node in graph.graph.node:
        if node.op_type == "MatMul" and node.name.startswith("node_linear"):
            k = 0 if node.name == "node_linear" else int(node.name[len("node_linear_"):])
            linear_of[node.input[1]] = k
    pieces, data_name, end = [], os.path.basename(path) + ".data", 0
    for init in graph.graph.initializer:
        if init.data_location != onnx.TensorProto.EXTERNAL:
            continue
        info = {e.key: e.value for e in init.external_data}
        if info.get("location") != data_name:
            raise SystemExit(f"{graph_path}: initializer {init.name}: external data in "
                             f"{info.get('location')!r}, expected {data_name!r}")
        if init.name in params:
            tensor = params[init.name].detach()
        elif init.name in linear_of and linear_of[init.name] < len(linears):
            tensor = linears[linear_of[init.name]].weight.detach().t()
        else:
            raise SystemExit(f"{graph_path}: initializer {init.name} is neither a parameter "
                             "nor a node_linear weight of this model")
        array = np.ascontiguousarray(tensor.float().numpy())
        offset, length = int(info["offset"]), int(info["length"])
        if list(array.shape) != list(init.dims) or array.nbytes != length or \
                init.data_type != onnx.TensorProto.FLOAT:
            raise SystemExit(f"{graph_path}: initializer {init.name}: graph {list(init.dims)} "
                             f"({length} bytes), model {list(array.shape)} ({array.nbytes} bytes)")
        pieces.append((offset, array))
        end = max(end, offset + length)
    with open(path + ".data", "wb") as f:
        f.truncate(end)
        for offset, array in sorted(pieces, key=lambda p: p[0]):
            f.seek(offset)
            f.write(array.tobytes())
    onnx.save(graph, path)
    return len(pieces)


def cached_names(layers):
    past = [f"past_key_values.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    present = [f"present.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    return past, present


def export_cached(model, path):
    cfg = model.config
    layers, kv, hd = cfg.num_hidden_layers, cfg.num_key_value_heads, cfg.head_dim
    model.config.use_cache = True
    wrapper = CachedLM(model).eval()
    batch = torch.export.Dim("batch", min=1, max=64)
    seq = torch.export.Dim("seq", min=1, max=cfg.max_position_embeddings)
    past_len = torch.export.Dim("past", min=0, max=cfg.max_position_embeddings)
    total = torch.export.Dim("total", min=1, max=2 * cfg.max_position_embeddings)
    b, s, p = 2, 3, 4
    ids = torch.randint(0, cfg.vocab_size, (b, s))
    mask = torch.ones(b, p + s, dtype=torch.int64)
    past = [torch.randn(b, kv, p, hd) for _ in range(2 * layers)]
    past_names, present_names = cached_names(layers)
    shapes = {"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: total},
              "past": [{0: batch, 2: past_len}] * (2 * layers)}
    with torch.no_grad():
        program = torch.onnx.export(
            wrapper, (ids, mask, past), dynamo=True, opset_version=OPSET,
            input_names=["input_ids", "attention_mask", *past_names],
            output_names=["logits", *present_names],
            dynamic_shapes=shapes, optimize=True, verbose=False)
    save(program.model_proto, path)


def verify_stateless(model, path):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    worst = 0.0
    model.config.use_cache = False
    for b, s in ((1, 7), (2, 33)):
        ids = rng.integers(0, model.config.vocab_size, (b, s), dtype=np.int64)
        mask = np.ones_like(ids)
        with torch.no_grad():
            want = model(input_ids=torch.from_numpy(ids),
                         attention_mask=torch.from_numpy(mask)).logits.numpy()
        (got,) = sess.run(["logits"], {"input_ids": ids, "attention_mask": mask})
        worst = max(worst, float(np.abs(got - want).max()))
    return worst


def verify_cached(model, path):
    """Prefill (past = 0) then three decode steps through onnxruntime,
    compared with PyTorch on the whole sequence recomputed each time."""
    cfg = model.config
    layers, kv, hd = cfg.num_hidden_layers, cfg.num_key_value_heads, cfg.head_dim
    past_names, present_names = cached_names(layers)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(2)
    worst = 0.0
    model.config.use_cache = False
    for b, s in ((1, 9), (2, 17)):
        ids = rng.integers(0, cfg.vocab_size, (b, s), dtype=np.int64)
        past = {n: np.zeros((b, kv, 0, hd), np.float32) for n in past_names}
        step_ids = ids
        for step in range(4):
            total = ids.shape[1]
            feed = {"input_ids": step_ids,
                    "attention_mask": np.ones((b, total), np.int64), **past}
            outs = sess.run(["logits", *present_names], feed)
            with torch.no_grad():
                want = model(input_ids=torch.from_numpy(ids)).logits.numpy()[:, -1:]
            worst = max(worst, float(np.abs(outs[0] - want).max()))
            past = dict(zip(past_names, outs[1:]))
            nxt = outs[0][:, -1].argmax(-1).reshape(b, 1).astype(np.int64)
            ids = np.concatenate([ids, nxt], 1)
            step_ids = nxt
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="output directory (not in git)")
    parser.add_argument("--only", choices=("stateless", "cached"),
                        help="export just one of the two forms")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    parser.add_argument("--no-verify", action="store_true",
                        help="skip the onnxruntime comparison (large presets)")
    parser.add_argument("--data-from-graph", metavar="GRAPH",
                        help="no export: stateless.onnx is GRAPH (an earlier stateless export, "
                             "external data stripped) and its data is written from the model")
    args = parser.parse_args()
    if args.preset != "small" and args.only is None:
        args.only = "stateless"
    if args.data_from_graph and args.only != "stateless":
        parser.error("--data-from-graph writes the stateless form only (--only stateless)")
    if args.data_from_graph and not os.path.isfile(args.data_from_graph):
        parser.error(f"--data-from-graph: no such file: {args.data_from_graph}")
    os.makedirs(args.out, exist_ok=True)
    warnings.filterwarnings("ignore")
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    torch.set_num_threads(min(16, os.cpu_count() or 1))
    model = build_model(preset=args.preset)
    params = sum(p.numel() for p in model.parameters())
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"onnxruntime {ort.__version__}; {params / 1e6:.1f} M parameters")
    failed = False
    for form, export, verify in (("stateless", export_stateless, verify_stateless),
                                 ("cached", export_cached, verify_cached)):
        if args.only and args.only != form:
            continue
        path = os.path.join(args.out, form + ".onnx")
        start = time.time()
        if args.data_from_graph:
            count = data_from_graph(model, args.data_from_graph, path)
            print(f"wrote {os.path.basename(path)} from {args.data_from_graph}: {count} "
                  f"initializers in {time.time() - start:.0f} s")
        else:
            export(model, path)
        if args.no_verify:
            print(f"exported {os.path.basename(path)} in {time.time() - start:.0f} s (not verified)")
            continue
        diff = verify(model, path)
        ok = diff < TOLERANCE
        failed |= not ok
        print(f"{'ok' if ok else 'FAILED'} {path}: written in "
              f"{time.time() - start:.0f} s, max abs diff vs PyTorch {diff:.1e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
