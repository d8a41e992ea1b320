#!/usr/bin/env python3
"""Pre-quantized models (onnxruntime MatMulNBits), end to end on the CPU.

Each fixture is quantized here, at test time, by onnxruntime's own 4-bit
quantizer (MatMulNBitsQuantizer, block size 32; symmetric and with zero
points), into the work directory. attnc imports the com.microsoft.MatMulNBits
nodes as attn.quantized_linear over the model's own quantized bytes; the
reference is onnxruntime running the same quantized model (its native
MatMulNBits kernel):

  logits      every prompt position: max|attnc - ort| / max|ort| <= 1e-4
  greedy      a 16-token greedy continuation equals onnxruntime's
  pack        (one fixture) `attnc compile --strip-weights` + `attnc pack
              --from` the quantized model gives the weights.bin of a full
              compile, byte for byte (the reshape / zero-point unpacking are
              weight plan transforms)

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

# (fixture, symmetric): symmetric has no zero points (onnxruntime's default 8).
CASES = [("llama-sdpa", True), ("qwen2-sdpa", False), ("mistral-sdpa", False)]
PACKED = "qwen2-sdpa"


def quantize(src, dst, symmetric):
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
    model = onnx.load(src)
    quantizer = MatMulNBitsQuantizer(model, bits=4, block_size=32, is_symmetric=symmetric)
    quantizer.process()
    onnx.save(quantizer.model.model, dst)
    nodes = [n for n in onnx.load(dst).graph.node if n.op_type == "MatMulNBits"]
    if not nodes:
        raise Failure(f"the quantizer left no MatMulNBits node in {dst}")
    return len(nodes)


class QuantizedFixture(Fixture):
    def __init__(self, args, name, config, path):
        args = argparse.Namespace(**vars(args))
        # Fixture reads <fixtures>/<name>.onnx: point it at the quantized copy.
        args.fixtures = os.path.dirname(path)
        super().__init__(args, os.path.basename(path)[:-5], config)


def check_pack(fx, artifact):
    stripped = artifact + "-stripped"
    shutil.rmtree(stripped, ignore_errors=True)
    run([fx.args.attnc, "compile", fx.path, "-o", stripped, "--strip-weights"])
    if os.path.exists(os.path.join(stripped, "weights.bin")):
        raise Failure("--strip-weights wrote weights.bin")
    plan = open(os.path.join(stripped, "weights.plan.json")).read()
    for op in ("reshape", "unpack_nibbles"):
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
    for name, symmetric in CASES:
        rng = random.Random(f"{seed}-{name}")
        tag = "q4s" if symmetric else "q4a"
        path = os.path.join(args.work, f"{name}-{tag}.onnx")
        try:
            count = quantize(os.path.join(args.fixtures, name + ".onnx"), path, symmetric)
            fx = QuantizedFixture(args, name, manifest[name + ".onnx"], path)
            artifact = os.path.join(args.work, f"{name}-{tag}-art")
            shutil.rmtree(artifact, ignore_errors=True)
            run([args.attnc, "compile", path, "-o", artifact])
            plan = open(os.path.join(artifact, "model.cpp")).read()
            if "quantized_linear<4, 32" not in plan:
                raise Failure("the artifact has no 4-bit quantized linear")
        except Failure as e:
            print(f"FAIL {name} ({tag}): quantize / compile\n  {e}", flush=True)
            failures += 1
            continue
        checks = ["logits", "greedy"] + (["pack"] if name == PACKED else [])
        for check in checks:
            try:
                if check == "logits":
                    errs = [check_logits(fx, artifact, rng, n) for n in (1, rng.randrange(2, 40))]
                    detail = f"{count} MatMulNBits, max rel err {max(errs):.2e}"
                elif check == "greedy":
                    check_greedy(fx, artifact, rng, rng.randrange(1, 12), 16)
                    detail = "16 tokens equal"
                else:
                    check_pack(fx, artifact)
                    detail = "stripped + packed weights.bin identical"
                print(f"ok   {name} ({tag}): {check} ({detail})", flush=True)
            except Failure as e:
                failures += 1
                print(f"FAIL {name} ({tag}): {check}\n  {e}", flush=True)
    print(f"nbits_e2e: {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
