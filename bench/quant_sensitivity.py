#!/usr/bin/env python3
"""Which linears of an ONNX model drive its w8 logit error: int8 weights with
a scale per output channel (round to nearest, as `attnc compile --quantize
w8` without calibration) applied to one linear at a time, then to all,
through onnxruntime (CPU, f32) on one prompt; prints each case's max
|quantized - f32| / max |f32| over the prompt's logits. The lm_head (the
graph's last product) stays unquantized, as in attnc.

  bench/quant_sensitivity.py MODEL.onnx [--prompt-file FILE] [--tokens 256]

The prompt is the first --tokens bytes of --prompt-file (byte-level models:
test/fixtures/trained), default this script's own source."""
import argparse

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper


def int8_per_output_channel(w):
    """w [K, N] (a MatMul's B): rounded to int8 codes of a scale per column."""
    scale = np.abs(w).max(axis=0, keepdims=True) / 127
    scale[scale == 0] = 1
    return (np.clip(np.round(w / scale), -127, 127) * scale).astype(w.dtype)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--prompt-file", default=__file__)
    ap.add_argument("--tokens", type=int, default=256)
    args = ap.parse_args()
    if args.tokens < 1:
        ap.error(f"--tokens {args.tokens}: at least 1")
    try:
        model = onnx.load(args.model)
        prompt = open(args.prompt_file, "rb").read()[:args.tokens]
    except Exception as e:  # a missing or unreadable file, a model onnx cannot parse
        raise SystemExit(f"quant_sensitivity.py: {e}")
    if not prompt:
        raise SystemExit(f"quant_sensitivity.py: {args.prompt_file} is empty")
    if not any(i.name == "input_ids" for i in model.graph.input):
        raise SystemExit(f"quant_sensitivity.py: {args.model} has no input_ids input")
    ort.set_default_logger_severity(3)
    ids = np.frombuffer(prompt, np.uint8).astype(np.int64)[None]
    feeds = {"input_ids": ids}
    if any(i.name == "attention_mask" for i in model.graph.input):
        feeds["attention_mask"] = np.ones_like(ids)

    def logits(m):
        session = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        return session.run(None, feeds)[0]

    reference = logits(model)
    initializers = {i.name: i for i in model.graph.initializer}
    matmuls = [n for n in model.graph.node if n.op_type in ("MatMul", "Gemm")]
    lm_head = matmuls[-1] if matmuls else None  # the graph's last product (tied: no initializer)
    linears = []  # (node, weight name, shape)
    for node in matmuls:
        if node is not lm_head and node.input[1] in initializers:
            shape = tuple(initializers[node.input[1]].dims)
            if len(shape) == 2:
                linears.append((node.name, node.input[1], shape))

    def error(names):
        m = onnx.ModelProto()
        m.CopyFrom(model)
        for init in m.graph.initializer:
            if init.name in names:
                w = int8_per_output_channel(numpy_helper.to_array(init))
                init.CopyFrom(numpy_helper.from_array(w, init.name))
        return float(np.abs(logits(m) - reference).max() / np.abs(reference).max())

    print(f"{args.model}: {len(linears)} linears, {ids.shape[1]} tokens")
    print(f"all: max rel err {error({w for _, w, _ in linears}):.2e}")
    for node, w, shape in linears:
        print(f"{node} {shape}: max rel err {error({w}):.2e}")


if __name__ == "__main__":
    main()
