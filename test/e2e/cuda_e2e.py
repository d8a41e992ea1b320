#!/usr/bin/env python3
"""End-to-end tests of the CUDA target against onnxruntime, in two halves:
compiling needs attnc (MLIR, nvcc; no GPU), running needs a GPU (no MLIR).

  cuda_e2e.py prepare --attnc BIN --fixtures DIR --work DIR [--dtype f16 --dtype bf16 --dtype f32] [--only NAME]
      compiles every fixture with `attnc compile --target cuda --dtype D`
      (default: all three) into WORK/<fixture>-<dtype>/ (set ATTNC_RUNTIME_CUDA_LIB to a
      libattnc_cuda.so to link the artifacts against the shared kernel
      library instead of copying it into each one)
  cuda_e2e.py run --attnc-run BIN --fixtures DIR --work DIR [--only NAME] [--seed N]
                  [--quantized-only]
      runs every prepared artifact (--quantized-only: the quantized and
      pre-quantized ones) on the GPU against onnxruntime (CPU, f32
      arithmetic) on fresh random prompts (seed printed). The reference model
      holds the weights the artifact holds: for f16 / bf16 its matrices
      (initializers of rank >= 2: linear weights, embedding tables) rounded to
      the artifact's dtype, as `--dtype` stores them; what is checked is the
      compiler's and kernels' error, not the storage format's. (Rounding the
      weights alone moves these fixtures' logits by up to ~5e-2 in bf16,
      ~5e-3 in f16; the error against the original f32 model is printed too.)
      f32 artifacts are checked against the original f32 model itself.
        logits  every prompt position: max|attnc - ort| / max|ort| <= 2e-2
                (f16), 5e-2 (bf16: its 8-bit significand rounds every stored
                activation 8x coarser than f16's 11 bits; on an H100 f16
                measured up to 7e-3 on these fixtures, bf16 up to 3.4e-2),
                1e-4 (f32, the CPU target's bound: exact f32 linears, no
                TF32; on an H100 f32 measured up to 3.3e-6 on these
                fixtures)
        greedy  a 16-token greedy continuation through the paged KV cache
                equals onnxruntime's (full recompute), except after a
                near-tie: a step where the reference's top two logits are
                closer than the dtype's error can resolve (2 x its logit
                tolerance, relative to the largest logit), where either
                choice is right
      Quantized artifacts (QUANTIZED below; `--quantize`, f16 and f32) are
      checked against onnxruntime over the model with the weights the
      artifact holds: its quantized matrices decoded from weights.bin by the
      layout of runtime/QuantizedWeights.h, the rest rounded as above; same
      tolerances, same greedy rule. What is checked is that the CUDA
      quantized kernels compute what the weights say, not the quantization's
      own accuracy.
      Pre-quantized models (IMPORTED below: onnxruntime's MatMulNBits at 4
      and 8 bits, its QDQ int4 DequantizeLinear, 8-bit DequantizeLinear by
      column with uint8 or int8 zero points; quantized by nbits_e2e.py's
      quantize at prepare time into WORK/<fixture>-<format>.onnx, compiled
      without --quantize, f16 and f32) are checked against onnxruntime over
      that quantized model (its own DequantizeLinear / MatMulNBits kernels,
      f32 arithmetic), the float matrices outside them rounded to the
      artifact's dtype as above; same tolerances, same greedy rule.
      exit 0 all passed, 1 a failure, 77 no GPU (nvidia-smi finds none)
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpu_e2e import Failure, Fixture, check_logits  # noqa: E402
from nbits_e2e import QuantizedFixture, quantize  # noqa: E402
from pack_e2e import decoded_weights  # noqa: E402

LOGIT_TOLERANCE = {"f16": 2e-2, "bf16": 5e-2, "f32": 1e-4}
DTYPES = ("f16", "bf16", "f32")
# (fixture, --quantize scheme): 4-bit with zero points over fused projections,
# 8-bit per channel, 4-bit symmetric, 8-bit groups with and without zero
# points; each in these storage types.
# granite w8: the 8-bit decode kernel's gated and RoPE + KV append outputs.
QUANTIZED = (("llama-sdpa", "w4g32a"), ("gpt2-sdpa", "w8"), ("qwen2-sdpa", "w4g64"),
             ("mistral-sdpa", "w8g32"), ("phi3-sdpa", "w8g64a"), ("granite-sdpa", "w8"))
QUANTIZED_DTYPES = ("f16", "f32")
# (fixture, nbits_e2e.py format, symmetric): pre-quantized models.
IMPORTED = (("qwen2-sdpa", "nbits", False), ("llama-sdpa", "qdq", True),
            ("qwen2-sdpa", "nbits8", False), ("qwen2-sdpa", "dq8u", False),
            ("llama-sdpa", "dq8a", False))


def imported_model(args, name, fmt):
    return os.path.join(args.work, f"{name}-{fmt}.onnx")
SKIP = 77


def artifacts(args, manifest):
    names = sorted(k[:-5] for k in manifest)
    if args.only:
        names = [n for n in names if n in args.only]
    return names


def compile_each(fx, label, suffix, dtypes, *flags):
    """fx compiled for CUDA in each of dtypes (artifact tag suffix-dtype),
    reported as label-dtype; the number of failures."""
    failures = 0
    for dtype in dtypes:
        try:
            fx.compile(f"{suffix}-{dtype}", "--target", "cuda", "--dtype", dtype, *flags)
            print(f"ok   {label}-{dtype}: compiled", flush=True)
        except Failure as e:
            failures += 1
            print(f"FAIL {label}-{dtype}: compile\n  {e}", flush=True)
    return failures


def prepare(args, manifest):
    failures = 0
    quantized_dtypes = [d for d in (args.dtype or DTYPES) if d in QUANTIZED_DTYPES]
    for name in artifacts(args, manifest):
        fx = Fixture(args, name, manifest[name + ".onnx"])
        failures += compile_each(fx, name, "", args.dtype or DTYPES)
    for name, scheme in QUANTIZED:
        if args.only and name not in args.only:
            continue
        fx = Fixture(args, name, manifest[name + ".onnx"])
        failures += compile_each(fx, f"{name}-{scheme}", f"-{scheme}", quantized_dtypes,
                                 "--quantize", scheme)
    for name, fmt, symmetric in IMPORTED:
        if args.only and name not in args.only:
            continue
        path = imported_model(args, name, fmt)
        try:
            quantize(os.path.join(args.fixtures, name + ".onnx"), path, fmt, symmetric)
        except Failure as e:
            failures += 1
            print(f"FAIL {name}-{fmt}: quantize\n  {e}", flush=True)
            continue
        fx = QuantizedFixture(args, name, manifest[name + ".onnx"], path)
        failures += compile_each(fx, f"{name}-{fmt}", "", quantized_dtypes)
    return failures


def round_to(array, dtype):
    """float32 values rounded to f16 / bf16 (nearest even) and back."""
    if dtype == "f16":
        return array.astype(np.float16).astype(np.float32)
    bits = array.astype(np.float32).view(np.uint32).astype(np.uint64)
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return bits.astype(np.uint32).view(np.float32)


def rounded_session(fx, dtype):
    """onnxruntime over fx's model with its matrices rounded to `dtype`."""
    model = onnx.load(fx.path)
    for init in model.graph.initializer:
        if init.data_type == onnx.TensorProto.FLOAT and len(init.dims) >= 2:
            init.CopyFrom(numpy_helper.from_array(round_to(numpy_helper.to_array(init), dtype),
                                                  init.name))
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def quantized_session(fx, artifact, dtype):
    """onnxruntime over fx's model holding the weights of a quantized artifact:
    its quantized matrices decoded, the other matrices rounded to `dtype`."""
    model = onnx.load(fx.path)
    initializers = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    decoded = decoded_weights(artifact, initializers)
    for init in model.graph.initializer:
        if init.name in decoded:
            w = decoded[init.name].astype(np.float32).reshape(initializers[init.name].shape)
        elif dtype != "f32" and init.data_type == onnx.TensorProto.FLOAT and len(init.dims) >= 2:
            w = round_to(initializers[init.name], dtype)
        else:
            continue
        init.CopyFrom(numpy_helper.from_array(w, init.name))
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def imported_session(path, dtype):
    """onnxruntime over a pre-quantized model (DequantizeLinear / MatMulNBits
    in f32, as nbits_e2e.QuantizedFixture runs it) with the float matrices
    that no quantized node reads rounded to `dtype`, as the artifact stores
    them."""
    model = onnx.load(path)
    quantized_inputs = {i for n in model.graph.node
                        if n.op_type in ("DequantizeLinear", "MatMulNBits") for i in n.input}
    if dtype != "f32":
        for init in model.graph.initializer:
            if (init.data_type == onnx.TensorProto.FLOAT and len(init.dims) >= 2 and
                    init.name not in quantized_inputs):
                init.CopyFrom(numpy_helper.from_array(
                    round_to(numpy_helper.to_array(init), dtype), init.name))
    options = ort.SessionOptions()
    options.add_session_config_entry("session.qdq_matmulnbits_accuracy_level", "0")
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def error_vs_original(fx, original, artifact, rng):
    prompt = [rng.randrange(fx.vocab) for _ in range(rng.randrange(2, 48))]
    dump = artifact + "-original.npy"
    fx.generate(artifact, [prompt], 1, "--dump-logits", dump)
    rounded, fx.session = fx.session, original
    try:
        ref = fx.ort_logits(prompt)
    finally:
        fx.session = rounded
    return float(np.abs(np.load(dump) - ref).max() / np.abs(ref).max())


def tie_margin(fx, prefix):
    last = fx.ort_logits(prefix)[-1]
    top2 = np.sort(last)[-2:]
    return float(top2[1] - top2[0]) / float(np.abs(last).max())


def check_greedy(fx, artifact, rng, prompt_len, new_tokens, tie_margin_bound):
    """Returns the number of steps verified (new_tokens unless a near-tie)."""
    prompt = [rng.randrange(fx.vocab) for _ in range(prompt_len)]
    (got,), _ = fx.generate(artifact, [prompt], new_tokens)
    # Again with each decode queued before the tokens of the one before are
    # read (the model takes them on the device): the same tokens.
    (ahead,), r = fx.generate(artifact, [prompt], new_tokens, "--overlap-steps", "--stats")
    overlapped = re.search(r"\((\d+) overlapped\)", r.stderr)
    if ahead != got or not overlapped or int(overlapped.group(1)) != new_tokens - 1:
        raise Failure(f"greedy continuation with overlapped steps differs or did not overlap "
                      f"({overlapped.group(0) if overlapped else r.stderr.strip()[:200]}, "
                      f"{new_tokens - 1} expected):\n  one at a time {got}\n  overlapped    {ahead}")
    ref = fx.ort_greedy(prompt, new_tokens)
    if got == ref:
        return new_tokens
    first = next(i for i, (a, b) in enumerate(zip(got + [None] * len(ref), ref)) if a != b)
    margin = tie_margin(fx, prompt + ref[:first])
    if margin < tie_margin_bound:
        return first  # both choices are right to within the dtype's rounding
    raise Failure(f"greedy continuation of a {prompt_len}-token prompt differs from onnxruntime "
                  f"at step {first} (reference top-2 margin {margin:.1e}):\n  attnc {got}\n"
                  f"  ort   {ref}")


def check_quantized(fx, artifact, dtype, tag, seed, versus, reference):
    """Logits and greedy decoding of a quantized artifact against the
    onnxruntime session `reference()` builds; 1 on a failure, else 0."""
    rng = random.Random(f"{seed}-{tag}")
    try:
        fx.session = reference()
        errs = [check_logits(fx, artifact, rng, n, LOGIT_TOLERANCE[dtype])
                for n in (1, rng.randrange(2, 48))]
        steps = check_greedy(fx, artifact, rng, rng.randrange(1, 12), 16,
                             2 * LOGIT_TOLERANCE[dtype])
    except Failure as e:
        print(f"FAIL {tag}\n  {e}", flush=True)
        return 1
    note = "16 tokens equal" if steps == 16 else f"equal for {steps} tokens, then a near-tie"
    print(f"ok   {tag}: logits (max rel err {max(errs):.2e} vs {versus}), greedy ({note})",
          flush=True)
    return 0


def gpu_present():
    smi = shutil.which("nvidia-smi")
    if not smi:
        return False
    r = subprocess.run([smi, "-L"], capture_output=True, text=True)
    return r.returncode == 0 and "GPU" in r.stdout


def run_all(args, manifest, seed):
    failures = 0
    for name in ([] if args.quantized_only else artifacts(args, manifest)):
        fx = None
        for dtype in DTYPES:
            artifact = os.path.join(args.work, f"{name}-{dtype}")
            if not os.path.isdir(artifact):
                continue
            fx = fx or Fixture(args, name, manifest[name + ".onnx"])
            original = fx.session
            # f32 stores the weights as they are: the reference is the original model.
            fx.session = original if dtype == "f32" else rounded_session(fx, dtype)
            rng = random.Random(f"{seed}-{name}-{dtype}")
            tag = f"{name}-{dtype}"
            try:
                errs = [check_logits(fx, artifact, rng, n, LOGIT_TOLERANCE[dtype])
                        for n in (1, rng.randrange(2, 48))]
                if dtype == "f32":
                    print(f"ok   {tag}: logits (max rel err {max(errs):.2e} vs the f32 model)",
                          flush=True)
                else:
                    storage = error_vs_original(fx, original, artifact, rng)
                    print(f"ok   {tag}: logits (max rel err {max(errs):.2e}; vs the f32 model "
                          f"{storage:.2e})", flush=True)
            except Failure as e:
                failures += 1
                print(f"FAIL {tag}: logits\n  {e}", flush=True)
            try:
                steps = check_greedy(fx, artifact, rng, rng.randrange(1, 12), 16,
                                     2 * LOGIT_TOLERANCE[dtype])
                note = "16 tokens equal" if steps == 16 else \
                    f"equal for {steps} tokens, then a near-tie"
                print(f"ok   {tag}: greedy ({note})", flush=True)
            except Failure as e:
                failures += 1
                print(f"FAIL {tag}: greedy\n  {e}", flush=True)
            fx.session = original
    for name, scheme in QUANTIZED:
        for dtype in QUANTIZED_DTYPES:
            artifact = os.path.join(args.work, f"{name}-{scheme}-{dtype}")
            if not os.path.isdir(artifact) or (args.only and name not in args.only):
                continue
            fx = Fixture(args, name, manifest[name + ".onnx"])
            failures += check_quantized(
                fx, artifact, dtype, f"{name}-{scheme}-{dtype}", seed, "the decoded weights",
                lambda: quantized_session(fx, artifact, dtype))
    for name, fmt, _ in IMPORTED:
        path = imported_model(args, name, fmt)
        for dtype in QUANTIZED_DTYPES:
            artifact = os.path.join(args.work, f"{name}-{fmt}-{dtype}")
            if not os.path.isdir(artifact) or (args.only and name not in args.only):
                continue
            fx = QuantizedFixture(args, name, manifest[name + ".onnx"], path)
            failures += check_quantized(
                fx, artifact, dtype, f"{name}-{fmt}-{dtype}", seed, "the quantized model",
                lambda: imported_session(path, dtype))
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["prepare", "run"])
    ap.add_argument("--attnc")
    ap.add_argument("--attnc-run")
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--dtype", action="append", choices=list(DTYPES))
    ap.add_argument("--only", action="append")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--quantized-only", action="store_true",
                    help="run: only the quantized and pre-quantized artifacts")
    args = ap.parse_args()
    ort.set_default_logger_severity(3)  # no warning per unused initializer of a quantized model
    manifest = json.load(open(os.path.join(args.fixtures, "manifest.json")))
    os.makedirs(args.work, exist_ok=True)
    if args.mode == "prepare":
        if not args.attnc:
            ap.error("prepare needs --attnc")
        failures = prepare(args, manifest)
    else:
        if not args.attnc_run:
            ap.error("run needs --attnc-run")
        if not gpu_present():
            print("cuda_e2e: SKIP (no GPU)")
            return SKIP
        seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
        print(f"cuda_e2e: seed {seed} (replay with --seed {seed})", flush=True)
        failures = run_all(args, manifest, seed)
    print(f"cuda_e2e {args.mode}: {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
