#!/usr/bin/env python3
"""Pre-quantized models (onnxruntime MatMulNBits, DequantizeLinear), end to
end on the CPU.

Each fixture is quantized here, at test time, into the work directory:

  nbits   onnxruntime's 4-bit quantizer (MatMulNBitsQuantizer, block size
          32; symmetric and with zero points): com.microsoft.MatMulNBits
  nbits8  the same at 8 bits (uint8 codes; zero points, or 128 without)
  nbits-gidx  nbits with a g_idx input in block order (g_idx[k] = k / 32,
          as GPTQ exporters write it without act-order)
  qdq     the same quantizer in QDQ format: opset 21 DequantizeLinear
          (int4 codes, or uint4 with uint4 zero points, block_size 32 on
          axis 0) feeding each MatMul
  dq8     int8 codes with one f32 scale per output column (axis 1), by
          quantize_int8 below (onnxruntime's quantizer writes no 8-bit QDQ)
  dq8t    int8 codes with one scale for the whole tensor (rank 0)
  dq8u    uint8 codes with a scale and a uint8 zero point per column
  dq8ut   uint8 codes with one scale and zero point for the tensor ([1])
  dq8a    int8 codes with a scale and an int8 zero point per column
  dq-f16  the qdq model with its scales stored as f16 (rounded to 7
          significant bits, so that q * s is exact in f16 too) and a Cast to
          float after each DequantizeLinear

attnc imports them as attn.quantized_linear over the model's own quantized
bytes; the reference is onnxruntime running the same quantized model (its
MatMulNBits / DequantizeLinear kernels):

  logits      every prompt position: max|attnc - ort| / max|ort| <= 1e-4
  greedy      a 16-token greedy continuation equals onnxruntime's
  pack        (one fixture per format) `attnc compile --strip-weights` +
              `attnc pack --from` the quantized model gives the weights.bin
              of a full compile, byte for byte (reshapes, transposes, nibble
              (un)packing and scale casts are weight plan transforms)

usage: nbits_e2e.py --attnc BIN --attnc-run BIN --fixtures DIR --work DIR [--seed N]
"""
import argparse
import filecmp
import json
import logging
import os
import random
import shutil
import sys

import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpu_e2e import Failure, Fixture, check_greedy, check_logits, run  # noqa: E402

# (fixture, format, symmetric): symmetric has no zero points (MatMulNBits'
# default 8, int4 codes in QDQ).
CASES = [("llama-sdpa", "nbits", True), ("qwen2-sdpa", "nbits", False),
         ("mistral-sdpa", "nbits", False), ("llama-sdpa", "qdq", True),
         ("qwen2-sdpa", "qdq", False), ("qwen2-sdpa", "dq8", True),
         ("llama-sdpa", "dq-f16", False), ("llama-sdpa", "nbits8", True),
         ("qwen2-sdpa", "nbits8", False), ("llama-sdpa", "dq8t", True),
         ("qwen2-sdpa", "dq8u", False), ("mistral-sdpa", "dq8ut", False),
         ("llama-sdpa", "dq8a", False), ("llama-sdpa", "nbits-gidx", True)]
# Packed (stripped compile + attnc pack == compile), with the plan's
# transforms each format must show.
PACKED = {("qwen2-sdpa", "nbits"): ("reshape", "unpack_nibbles"),
          ("qwen2-sdpa", "qdq"): ("transpose2d", "widen_nibbles", "pack_nibbles"),
          ("llama-sdpa", "dq-f16"): ("cast", "transpose2d", "widen_nibbles"),
          ("qwen2-sdpa", "nbits8"): ("reshape",),
          ("qwen2-sdpa", "dq8u"): ("transpose2d", "broadcast"),
          ("mistral-sdpa", "dq8ut"): ("transpose2d", "reshape", "broadcast"),
          ("llama-sdpa", "dq8a"): ("transpose2d", "broadcast", "to_unsigned"),
          ("llama-sdpa", "nbits-gidx"): ("reshape",)}
# What the generated code must call.
KERNEL = {"nbits": "quantized_linear<4, 32", "nbits-gidx": "quantized_linear<4, 32",
          "qdq": "quantized_linear<4, 32",
          "dq8": "quantized_linear<8, 0", "dq-f16": "quantized_linear<4, 32",
          "nbits8": "quantized_linear<8, 32, true", "dq8t": "quantized_linear<8, 0",
          "dq8u": "quantized_linear<8, 128, true", "dq8ut": "quantized_linear<8, 128, true",
          "dq8a": "quantized_linear<8, 128, true"}


def quantize_int8(model, unsigned=False, per_tensor=False, zero_points=False):
    """MatMul(A, W[K, N] f32 initializer) -> MatMul(A, DequantizeLinear(q, s,
    [z], axis 1)). int8: s = max |W| / 127 over a column (s [N]) or the
    tensor (a scalar), q = round(W / s). With zero points (uint8, or int8
    with zero_points): the range [min(W, 0), max(W, 0)] of a column ([N]) or
    the tensor ([1]) in 255 steps, z = round(-lo / s) + c, q = round(W / s)
    + z clamped to the codes' range (c = 0 for uint8, -128 for int8)."""
    from onnx import helper, numpy_helper
    import numpy as np
    inits = {i.name: i for i in model.graph.initializer}
    nodes = []
    for node in model.graph.node:
        w = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        if w is None or len(w.dims) != 2 or w.data_type != onnx.TensorProto.FLOAT:
            nodes.append(node)
            continue
        weight = numpy_helper.to_array(w).astype(np.float64)
        axis = None if per_tensor else 0
        inputs = []
        if unsigned or zero_points:
            lo = np.minimum(weight.min(axis=axis, keepdims=per_tensor), 0)
            hi = np.maximum(weight.max(axis=axis, keepdims=per_tensor), 0)
            scale = ((hi - lo) / 255).astype(np.float32).reshape(-1)
            scale[scale == 0] = 1
            c, t = (0, np.uint8) if unsigned else (-128, np.int8)
            zero = np.clip(np.rint(-lo.reshape(-1) / scale) + c, c, c + 255)
            codes = np.clip(np.rint(weight / scale) + zero, c, c + 255).astype(t)
            inputs = [zero.astype(t)]
        else:
            scale = (np.abs(weight).max(axis=axis) / 127).astype(np.float32)
            scale = np.where(scale == 0, np.float32(1), scale).astype(np.float32)
            codes = np.clip(np.rint(weight / scale), -127, 127).astype(np.int8)
        name = node.input[1] + "_dq8"
        arrays = [codes, scale] + inputs
        model.graph.initializer.extend([numpy_helper.from_array(a, name + suffix)
                                        for a, suffix in zip(arrays, ("_q", "_s", "_z"))])
        nodes.append(helper.make_node("DequantizeLinear",
                                      [name + suffix for suffix in ("_q", "_s", "_z")[:len(arrays)]],
                                      [name], name=node.name + "_dq8", axis=1))
        nodes.append(helper.make_node("MatMul", [node.input[0], name], list(node.output),
                                      name=node.name))
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return model


def f16_scales(model):
    """Every DequantizeLinear scale as f16 of 7 significant bits, the result
    cast back to float for the MatMul."""
    from onnx import helper, numpy_helper
    import numpy as np
    inits = {i.name: i for i in model.graph.initializer}
    nodes = []
    for node in model.graph.node:
        if node.op_type != "DequantizeLinear":
            nodes.append(node)
            continue
        scale = numpy_helper.to_array(inits[node.input[1]])
        mantissa, exponent = np.frexp(scale)
        scale16 = np.ldexp(np.round(mantissa * 128) / 128, exponent).astype(np.float16)
        inits[node.input[1]].CopyFrom(numpy_helper.from_array(scale16, node.input[1]))
        half = node.output[0] + "_f16"
        cast = helper.make_node("Cast", [half], [node.output[0]], name=node.name + "_cast",
                                to=onnx.TensorProto.FLOAT)
        node.output[0] = half
        nodes += [node, cast]
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return model


def block_order_g_idx(model):
    """Gives every MatMulNBits a g_idx input (its fifth) in block order."""
    import numpy as np
    from onnx import helper, numpy_helper
    for i, node in enumerate(n for n in model.graph.node if n.op_type == "MatMulNBits"):
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        name = f"g_idx_{i}"
        model.graph.initializer.append(numpy_helper.from_array(
            (np.arange(attrs["K"]) // attrs["block_size"]).astype(np.int32), name))
        inputs = list(node.input) + [""] * (4 - len(node.input))
        inputs = inputs[:4] + [name] + inputs[5:]
        del node.input[:]
        node.input.extend(inputs)
    return model


def quantize(src, dst, fmt, symmetric):
    model = onnx.load(src)
    if fmt in ("dq8", "dq8t", "dq8u", "dq8ut", "dq8a"):
        model = quantize_int8(model, unsigned=fmt.startswith("dq8u"),
                              per_tensor=fmt.endswith("t"), zero_points=fmt == "dq8a")
    else:
        from onnxruntime.quantization import QuantFormat
        from onnxruntime.quantization.matmul_nbits_quantizer import (
            DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer)
        config = DefaultWeightOnlyQuantConfig(
            block_size=32, is_symmetric=symmetric, bits=8 if fmt == "nbits8" else 4,
            quant_format=QuantFormat.QDQ if fmt.startswith("dq") or fmt == "qdq"
            else QuantFormat.QOperator)
        quantizer = MatMulNBitsQuantizer(model, algo_config=config)
        quantizer.process()
        model = quantizer.model.model
        if fmt == "dq-f16":
            model = f16_scales(model)
        if fmt == "nbits-gidx":
            model = block_order_g_idx(model)
    onnx.save(model, dst)
    op = "MatMulNBits" if fmt.startswith("nbits") else "DequantizeLinear"
    nodes = [n for n in onnx.load(dst).graph.node if n.op_type == op]
    if not nodes:
        raise Failure(f"the quantizer left no {op} node in {dst}")
    return len(nodes), op


class QuantizedFixture(Fixture):
    def __init__(self, args, name, config, path):
        args = argparse.Namespace(**vars(args))
        # Fixture reads <fixtures>/<name>.onnx: point it at the quantized copy.
        args.fixtures = os.path.dirname(path)
        super().__init__(args, os.path.basename(path)[:-5], config)
        # onnxruntime fuses DequantizeLinear + MatMul into MatMulNBits at
        # accuracy level 4 by default (activations quantized to int8: logits
        # 3e-2 off the model's own arithmetic); level 0 computes in f32, as
        # the model says (equal to running it unoptimized).
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.add_session_config_entry("session.qdq_matmulnbits_accuracy_level", "0")
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def check_pack(fx, artifact, ops):
    stripped = artifact + "-stripped"
    shutil.rmtree(stripped, ignore_errors=True)
    run([fx.args.attnc, "compile", fx.path, "-o", stripped, "--strip-weights"])
    if os.path.exists(os.path.join(stripped, "weights.bin")):
        raise Failure("--strip-weights wrote weights.bin")
    plan = open(os.path.join(stripped, "weights.plan.json")).read()
    for op in ops:
        if f'"{op}"' not in plan:
            raise Failure(f"the weight plan has no {op} transform")
    run([fx.args.attnc, "pack", stripped, "--from", fx.path])
    if not filecmp.cmp(os.path.join(stripped, "weights.bin"),
                       os.path.join(artifact, "weights.bin"), shallow=False):
        raise Failure("packed weights.bin differs from the compiled one")
    checksum = lambda d: json.load(open(os.path.join(d, "manifest.json")))["weights"]
    if checksum(stripped) != checksum(artifact):
        raise Failure("the packed manifest's weights differ from the compiled one's")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--attnc", required=True)
    ap.add_argument("--attnc-run", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--seed", type=int)
    args = ap.parse_args()
    logging.disable(logging.INFO)  # the quantizer logs every node
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    print(f"nbits_e2e: seed {seed} (replay with --seed {seed})", flush=True)
    os.makedirs(args.work, exist_ok=True)
    manifest = json.load(open(os.path.join(args.fixtures, "manifest.json")))
    failures = 0
    for name, fmt, symmetric in CASES:
        rng = random.Random(f"{seed}-{name}-{fmt}")
        tag = f"{fmt}-{'s' if symmetric else 'a'}"
        path = os.path.join(args.work, f"{name}-{tag}.onnx")
        try:
            count, op = quantize(os.path.join(args.fixtures, name + ".onnx"), path, fmt,
                                 symmetric)
            fx = QuantizedFixture(args, name, manifest[name + ".onnx"], path)
            artifact = os.path.join(args.work, f"{name}-{tag}-art")
            shutil.rmtree(artifact, ignore_errors=True)
            run([args.attnc, "compile", path, "-o", artifact])
            code = open(os.path.join(artifact, "model.cpp")).read()
            if KERNEL[fmt] not in code:
                raise Failure(f"the artifact calls no {KERNEL[fmt]}, ...>")
            # inspect names every quantized node's linear by scheme
            info = json.loads(run([args.attnc, "inspect", path, "--json"]).stdout)
            if sum(info["quantized_linears"].values()) != count:
                raise Failure(f"attnc inspect reports {info['quantized_linears']} quantized "
                              f"linears, the model has {count} {op} nodes")
        except Failure as e:
            print(f"FAIL {name} ({tag}): quantize / compile\n  {e}", flush=True)
            failures += 1
            continue
        checks = ["logits", "greedy"] + (["pack"] if (name, fmt) in PACKED else [])
        for check in checks:
            try:
                if check == "logits":
                    errs = [check_logits(fx, artifact, rng, n) for n in (1, rng.randrange(2, 40))]
                    detail = f"{count} {op}, max rel err {max(errs):.2e}"
                elif check == "greedy":
                    check_greedy(fx, artifact, rng, rng.randrange(1, 12), 16)
                    detail = "16 tokens equal"
                else:
                    check_pack(fx, artifact, PACKED[(name, fmt)])
                    detail = "stripped + packed weights.bin identical"
                print(f"ok   {name} ({tag}): {check} ({detail})", flush=True)
            except Failure as e:
                failures += 1
                print(f"FAIL {name} ({tag}): {check}\n  {e}", flush=True)
    print(f"nbits_e2e: {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
