#!/usr/bin/env python3
"""Accuracy of quantization, measured on trained models against onnxruntime.

The fixtures (test/fixtures/trained, tools/export/export_trained_fixtures.py)
are every supported architecture at hidden 128, trained as byte-level
language models on this repository's sources, so their next-byte predictions
on source text are peaked as a real model's are. Each run draws fresh
256-byte prompts from the repository's sources (seed printed; --seed replays
it) and compares, at every prompt position, the logits of quantized
artifacts with onnxruntime running the original f32 model (teacher forcing:
the prompt is the input, every position's next-token distribution is
compared):

  variant   flags                 fails when
  base      (none)                max rel err > 1e-4 (f32), 2e-2 (f16), 5e-2 (bf16)
  w8        --quantize w8         max rel err > 4e-2, top-1 < 96%, KL > 1e-3
  w4g128    --quantize w4g128     top-1 < 70%, KL > 0.1
  w4g64     --quantize w4g64      top-1 < 70%, KL > 0.1
  w8-gptq, w4g128-gptq, w4g64-gptq  the same with --calibration (GPTQ against
            statistics `attnc calibrate` measured on an f32 CPU artifact over
            32 fixed 256-byte sequences of the corpus)
                                  w8: max rel err > 2.5e-2, top-1 < 97%, KL > 5e-4;
                                  4-bit: top-1 < 78%, KL > 0.06;
                                  and KL above 0.9x that of the same scheme
                                  rounded to nearest, when both ran
  kv-int8   --kv-cache int8       top-1 < 96%, KL > 3e-3
  kv-fp8    --kv-cache fp8        top-1 < 85%, KL > 0.06

max rel err is max |attnc - ort| / max |ort| over all positions and the
vocabulary; top-1 agreement the share of positions whose argmax equals
onnxruntime's; KL the mean over positions of KL(p_ort || p_attnc) in nats.
Every number is printed, and at the end on how many fixtures the issue's
targets (w8 and w8-gptq max rel err <= 1e-2, w4g128 and w4g128-gptq top-1 >=
95%, kv-int8 top-1 >= 99%) are met, naming the others. The prompt attention
reads the step's keys and values back from the paged cache, so the KV
variants measure the quantized cache itself.

The bounds are what the schemes reach on these models, with margin for the
prompt drawn (measured over 13 fixtures, 5 seeds on the CPU and one on the
H100 in f16: w8 max rel err 0.6-2.2e-2, top-1 >= 98%, KL <= 3e-4, and one
prompt since at 3.2e-2 (granite, seed 232794715 over the tree of 2026-11-28); KV int8
top-1 98.0-100%, KL <= 1e-3; KV fp8 top-1 91-99.6%, KL <= 2.4e-2; w4g128 and
w4g64 with the clipped 4-bit range, 5 seeds on the CPU: top-1 76.6-98.0%,
KL 0.014-0.071, where the full range had measured 79.7-97.7% and up to 0.1;
GPTQ, 5 seeds: top-1 82.4-98.4%, KL <= 0.038, KL 0.41-0.74x RTN's),
not the issue's targets (w8 <= 1e-2, w4g128 top-1 >= 95%, KV int8 >= 99%),
which these models miss (see BENCHMARKS.md): their weights are Gaussian
(max/std 2.8 per 128-wide group), so 4-bit round-to-nearest adds ~12% noise
to every linear, as in large models, where RTN w4g128 also lands near 90-93%
top-1 agreement (the clipped range: median 89-92% here). GPTQ (--calibration)
halves the KL of every scheme (0.41-0.74x per fixture) and lifts the 4-bit
median top-1 to 93-94% (worst 86-89%; 4 runs on the CPU), still short of 95%
on every fixture; at 8 bits it brings the max rel err to 0.4-1.6e-2.

Modes:
  quant_accuracy.py all --attnc BIN --attnc-run BIN --work DIR [--target cpu]
      compile and measure (the CPU test run by ctest)
  quant_accuracy.py prepare --attnc BIN --work DIR --target cuda [--dtype f32 --dtype f16]
      compile only, weights stripped (compiling needs MLIR, running a GPU)
  quant_accuracy.py run --attnc-run BIN --attnc-pack BIN --work DIR
      pack the prepared artifacts' weights from the fixtures, then measure
Common: --fixtures DIR (default test/fixtures/trained), --only NAME, --variant V,
--seed N, --json FILE (every number, for BENCHMARKS.md), --corpus-root DIR (the tree
the prompts and the calibration sequences are drawn from, default this repository:
pass a snapshot to keep the numbers fixed while the sources change).
Exit 0 all passed, 1 a failure.
"""
import argparse
import json
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "export"))
from byte_corpus import REPO, corpus_bytes  # noqa: E402

PROMPT = 256
# name -> (attnc compile flags, {metric: bound}); "err" is an upper bound,
# "top1" a lower one, "kl" an upper one. See the docstring for why these
# bounds, and not the issue's, are what RTN quantization reaches here.
VARIANTS = {
    "base": ((), {}),
    "w8": (("--quantize", "w8"), {"err": 4e-2, "top1": 0.96, "kl": 1e-3}),
    "w4g128": (("--quantize", "w4g128"), {"top1": 0.70, "kl": 0.1}),
    "w4g64": (("--quantize", "w4g64"), {"top1": 0.70, "kl": 0.1}),
    "w8-gptq": (("--quantize", "w8", "--calibration", "CALIBRATION"),
                {"err": 2.5e-2, "top1": 0.97, "kl": 5e-4}),
    "w4g128-gptq": (("--quantize", "w4g128", "--calibration", "CALIBRATION"),
                    {"top1": 0.78, "kl": 0.06}),
    "w4g64-gptq": (("--quantize", "w4g64", "--calibration", "CALIBRATION"),
                   {"top1": 0.78, "kl": 0.06}),
    "kv-int8": (("--kv-cache", "int8"), {"top1": 0.96, "kl": 3e-3}),
    "kv-fp8": (("--kv-cache", "fp8"), {"top1": 0.85, "kl": 0.06}),
}
BASE_BOUND = {"f32": 1e-4, "f16": 2e-2, "bf16": 5e-2}
# The quantization issue's targets, reported (not enforced: see the
# docstring) as how many fixtures meet them: variant -> (metric, bound).
ISSUE_TARGETS = {"w8": ("err", 1e-2), "w8-gptq": ("err", 1e-2), "w4g128": ("top1", 0.95),
                 "w4g128-gptq": ("top1", 0.95), "kv-int8": ("top1", 0.99)}
# A -gptq variant's KL against its round-to-nearest twin's (same fixture and
# dtype, same run): measured at most 0.74x (13 fixtures, w8, w4g128, w4g64).
GPTQ_KL_RATIO = 0.9
# GPTQ's calibration data: fixed sequences of the corpus (the same for every
# run; a prompt drawn later overlaps one with probability ~0.6%).
CALIBRATION_SEQUENCES, CALIBRATION_TOKENS = 32, 256


class Failure(Exception):
    pass


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        shown = " ".join(a if len(a) < 80 else a[:60] + "..." for a in map(str, cmd))
        raise Failure(f"{shown}\n  exit {r.returncode}\n"
                      f"  stderr: {r.stderr.strip()[:2000]}")
    return r


def fixtures(args):
    with open(os.path.join(args.fixtures, "manifest.json")) as f:
        names = sorted(k[:-len(".onnx")] for k in json.load(f))
    return [n for n in names if not args.only or n in args.only]


def configs(args):
    """(fixture, dtype, variant, artifact dir) of everything to measure."""
    dtypes = args.dtype or (["f32"] if args.target == "cpu" else ["f32", "f16"])
    return [(name, dtype, variant,
             os.path.join(args.work, f"{name}-{dtype}-{variant}"))
            for name in fixtures(args) for dtype in dtypes
            for variant in (args.variant or VARIANTS)]


def calibration_file(args, name):
    return os.path.join(args.work, f"{name}.calib")


def calibrate(args, name):
    """attnc calibrate over an f32 CPU artifact of the fixture: the
    statistics the -gptq variants compile (and pack) against."""
    corpus = corpus_bytes(args.corpus_root)
    rng = random.Random("calibration")
    tokens = os.path.join(args.work, "calibration-tokens.txt")
    with open(tokens, "w") as f:
        for _ in range(CALIBRATION_SEQUENCES):
            start = rng.randrange(len(corpus) - CALIBRATION_TOKENS)
            f.write(",".join(map(str, corpus[start:start + CALIBRATION_TOKENS])) + "\n")
    reference = os.path.join(args.work, f"{name}-calibration-reference")
    run([args.attnc, "compile", os.path.join(args.fixtures, name + ".onnx"), "-o", reference])
    run([args.attnc, "calibrate", reference, "--tokens", tokens, "-o",
         calibration_file(args, name)])


def compile_one(args, name, dtype, variant, artifact):
    flags = [calibration_file(args, name) if f == "CALIBRATION" else f
             for f in VARIANTS[variant][0]]
    if args.target == "cuda":
        flags += ["--target", "cuda", "--dtype", dtype, "--strip-weights"]
    run([args.attnc, "compile", os.path.join(args.fixtures, name + ".onnx"),
         "-o", artifact, *flags])


def prepare(args):
    todo = configs(args)
    calibrated = sorted({name for name, _, variant, _ in todo
                         if "CALIBRATION" in VARIANTS[variant][0]})
    failures = 0
    for name in calibrated:
        try:
            calibrate(args, name)
        except Failure as e:
            failures += 1
            print(f"FAIL {name}: calibrate\n  {e}", flush=True)
    with ThreadPoolExecutor(max_workers=2) as pool:  # attnc is single-threaded
        futures = [(c, pool.submit(compile_one, args, *c)) for c in todo]
    for (name, dtype, variant, _), future in futures:
        try:
            future.result()
        except Failure as e:
            failures += 1
            print(f"FAIL {name}-{dtype}-{variant}: compile\n  {e}", flush=True)
    return failures


def log_softmax(x):
    x = x.astype(np.float64)
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def measure(got, ref):
    """The numbers of one artifact's prompt logits against the reference's."""
    lp, lq = log_softmax(ref), log_softmax(got)
    return {
        "err": float(np.abs(got - ref).max() / np.abs(ref).max()),
        "top1": float(np.mean(got.argmax(-1) == ref.argmax(-1))),
        "kl": float(np.mean(np.sum(np.exp(lp) * (lp - lq), axis=-1))),
    }


def within(metric, value, bound):
    """Whether a number meets its bound: top-1 from below, the rest from above."""
    return value >= bound if metric == "top1" else value <= bound


def violations(variant, dtype, numbers):
    """The bounds `numbers` break, as text (empty: none)."""
    bounds = dict(VARIANTS[variant][1])
    if variant == "base":
        bounds["err"] = BASE_BOUND[dtype]
    broken = []
    for metric, bound in bounds.items():
        value = numbers[metric]
        if not within(metric, value, bound):
            broken.append(f"{metric} {value:.3g} beyond its bound {bound}")
    return "; ".join(broken)


def measure_all(args, seed):
    corpus = corpus_bytes(args.corpus_root)
    results, failures = [], 0
    for name in fixtures(args):
        session = ort.InferenceSession(os.path.join(args.fixtures, name + ".onnx"),
                                       providers=["CPUExecutionProvider"])
        rng = random.Random(f"{seed}-{name}")
        start = rng.randrange(len(corpus) - PROMPT)
        prompt = [int(b) for b in corpus[start:start + PROMPT]]
        ids = np.array([prompt], dtype=np.int64)
        ref = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]
        for fixture, dtype, variant, artifact in configs(args):
            if fixture != name:
                continue
            tag = f"{name}-{dtype}-{variant}"
            try:
                if not os.path.isdir(artifact):
                    raise Failure("no artifact (compile failed?)")
                if args.attnc_pack and not os.path.exists(os.path.join(artifact, "weights.bin")):
                    calibration = (["--calibration", calibration_file(args, name)]
                                   if "CALIBRATION" in VARIANTS[variant][0] else [])
                    run([args.attnc_pack, artifact, "--from",
                         os.path.join(args.fixtures, name + ".onnx"), *calibration])
                dump = artifact + "-logits.npy"
                run([args.attnc_run, artifact, "--max-new-tokens", "1",
                     "--tokens", ",".join(map(str, prompt)), "--dump-logits", dump])
                got = np.load(dump)
                if got.shape != ref.shape:
                    raise Failure(f"logits shape {got.shape}, onnxruntime {ref.shape}")
                numbers = measure(got, ref)
                broken = violations(variant, dtype, numbers)
                results.append({"fixture": name, "dtype": dtype, "variant": variant,
                                "target": args.target, **numbers})
                line = (f"{tag}: max rel err {numbers['err']:.2e}, top-1 "
                        f"{100 * numbers['top1']:.1f}%, KL {numbers['kl']:.2e}")
                if broken:
                    raise Failure(f"{line}: {broken}")
                print(f"ok   {line}", flush=True)
            except Failure as e:
                failures += 1
                print(f"FAIL {tag}\n  {e}", flush=True)
    return results, failures


def compare_gptq(results):
    """GPTQ must beat rounding to nearest: the failures, as text lines."""
    by_key = {(r["fixture"], r["dtype"], r["variant"]): r for r in results}
    failed = []
    for (fixture, dtype, variant), r in sorted(by_key.items()):
        twin = by_key.get((fixture, dtype, variant[:-len("-gptq")]))
        if not variant.endswith("-gptq") or twin is None:
            continue
        ratio = r["kl"] / max(twin["kl"], 1e-30)
        line = f"{fixture}-{dtype}-{variant}: KL {ratio:.2f}x that of {twin['variant']}"
        if ratio > GPTQ_KL_RATIO:
            failed.append(f"{line}, above {GPTQ_KL_RATIO}x")
        else:
            print(f"ok   {line}", flush=True)
    return failed


def summary(results):
    """The worst value of each (dtype, variant) over the fixtures."""
    worst = {}
    for r in results:
        key = (r["dtype"], r["variant"])
        w = worst.setdefault(key, {"err": 0.0, "top1": 1.0, "kl": 0.0})
        w["err"], w["kl"] = max(w["err"], r["err"]), max(w["kl"], r["kl"])
        w["top1"] = min(w["top1"], r["top1"])
    for (dtype, variant), w in sorted(worst.items()):
        print(f"worst over {len({r['fixture'] for r in results})} fixtures, {dtype} {variant}: "
              f"max rel err {w['err']:.2e}, top-1 {100 * w['top1']:.1f}%, KL {w['kl']:.2e}")
    for (dtype, variant) in sorted(worst):
        if variant not in ISSUE_TARGETS:
            continue
        metric, bound = ISSUE_TARGETS[variant]
        top1 = metric == "top1"
        rows = [r for r in results if (r["dtype"], r["variant"]) == (dtype, variant)]
        missing = [r for r in rows if not within(metric, r[metric], bound)]
        shown = ", ".join(f"{r['fixture']} {100 * r[metric]:.1f}%" if top1
                          else f"{r['fixture']} {r[metric]:.2e}" for r in missing)
        target = f"top-1 >= {100 * bound:g}%" if top1 else f"max rel err <= {bound:g}"
        print(f"issue target, {dtype} {variant} {target}: met on {len(rows) - len(missing)} of "
              f"{len(rows)} fixtures" + (f" (not: {shown})" if missing else ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["all", "prepare", "run"])
    ap.add_argument("--attnc")
    ap.add_argument("--attnc-run")
    ap.add_argument("--attnc-pack")
    ap.add_argument("--fixtures", default=os.path.join(HERE, "..", "fixtures", "trained"))
    ap.add_argument("--work", required=True)
    ap.add_argument("--target", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--dtype", action="append", choices=list(BASE_BOUND))
    ap.add_argument("--only", action="append")
    ap.add_argument("--variant", action="append", choices=list(VARIANTS))
    ap.add_argument("--seed", type=int)
    ap.add_argument("--json")
    ap.add_argument("--corpus-root", default=REPO)
    args = ap.parse_args()
    if args.mode in ("all", "prepare") and not args.attnc:
        ap.error("--attnc is required to compile")
    if args.mode in ("all", "run") and not args.attnc_run:
        ap.error("--attnc-run is required to measure")
    if args.target == "cpu" and args.dtype and args.dtype != ["f32"]:
        ap.error("the CPU target computes in f32 only")
    os.makedirs(args.work, exist_ok=True)
    failures = prepare(args) if args.mode in ("all", "prepare") else 0
    if args.mode in ("all", "run"):
        seed = args.seed if args.seed is not None else random.randrange(1 << 30)
        print(f"seed {seed} (replay with --seed {seed})", flush=True)
        results, failed = measure_all(args, seed)
        failures += failed
        for line in compare_gptq(results):
            failures += 1
            print(f"FAIL {line}", flush=True)
        summary(results)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"seed": seed, "prompt_tokens": PROMPT, "results": results}, f,
                          indent=1)
    print(f"{'FAILED' if failures else 'passed'}: {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
