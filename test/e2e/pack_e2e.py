#!/usr/bin/env python3
"""Weight-stripped artifacts and the packer, end to end.

For each fixture: `attnc compile` (the reference) and `attnc compile
--strip-weights`, which must write no weights.bin and be refused by attnc-run
with a pointer to `attnc pack`; then `attnc pack` (or the standalone
attnc-pack) from the ONNX file must produce a weights.bin byte-identical to
the reference's, the same manifest checksum, and the same generated tokens.
Packing again re-packs. The fixtures cover fused projections (llama),
transposed Conv1D weights and tied embeddings (gpt2, falcon, starcoder2) and
interleaved RoPE (gptj). Quantized artifacts (`--quantize`: the weight plan's
quantize transform over fused and transposed weights) go through the same
checks; their bytes must also decode, by runtime/QuantizedWeights.h's layout,
to weights within half a quantization step of the model's, and the artifact
must compute what an unquantized compile of the model with those decoded
weights computes (logits within 1e-4, the same greedy tokens): the compiler,
the packer and the CPU kernel agree on one layout.

External data: the llama fixture is saved with all its weights in one
external file (onnx.save_model(save_as_external_data=True)), compiled
stripped from that copy and packed from it; a stripped compile also works
with the external data file absent (the development machine need not hold
the checkpoint), and packing it where the data is gives the same bytes.

Bad input, each a clear error and exit 1 with no weights.bin (nor staging
file) left behind: a model lacking an initializer the plan names, an
initializer of another shape, a truncated and a missing external data file,
a directory that is not an artifact.

usage: pack_e2e.py --attnc BIN --attnc-run BIN --attnc-pack BIN --fixtures DIR --work DIR
"""
import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpu_e2e import Failure  # noqa: E402  (one failure type for the e2e scripts)

FIXTURES = ["llama-sdpa", "gpt2-sdpa", "gptj-eager", "falcon-sdpa", "starcoder2-sdpa"]
# (fixture, --quantize scheme): fused projections in 4-bit with zero points,
# GPT-2's transposed Conv1D weights in 8-bit, 8-bit groups with and without
# zero points.
QUANTIZED = [("llama-sdpa", "w4g32a"), ("gpt2-sdpa", "w8"), ("qwen2-sdpa", "w8g64a"),
             ("mistral-sdpa", "w8g32")]
PROMPTS = ["--tokens", "1,2,3,4,5", "--tokens", "7,3", "--max-new-tokens", "8"]


def run(cmd, expect_rc=0):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if expect_rc is not None and r.returncode != expect_rc:
        raise Failure(f"{' '.join(map(str, cmd))}\n  exit {r.returncode} (expected {expect_rc})\n"
                      f"  stdout: {r.stdout.strip()[:2000]}\n  stderr: {r.stderr.strip()[:2000]}")
    return r


def expect(condition, message):
    if not condition:
        raise Failure(message)


def manifest(artifact):
    with open(os.path.join(artifact, "manifest.json")) as f:
        return json.load(f)


def plan_initializers(artifact):
    """Names of the initializers the artifact's weight plan reads."""
    with open(os.path.join(artifact, "weights.plan.json")) as f:
        plan = json.load(f)
    names = []

    def walk(e):
        if e["op"] == "initializer":
            names.append(e["name"])
        for i in e.get("inputs", []) + ([e["input"]] if "input" in e else []):
            walk(i)

    for blob in plan["blobs"]:
        walk(blob["source"])
    return names


def no_leftovers(artifact):
    left = [f for f in os.listdir(artifact) if ".partial" in f]
    expect(not left, f"{artifact}: staging files left behind: {left}")


def check_stripped(args, artifact):
    expect(not os.path.exists(os.path.join(artifact, "weights.bin")),
           f"{artifact}: --strip-weights wrote weights.bin")
    w = manifest(artifact)["weights"]
    expect(w.get("stripped") is True and w["xxh3_64"] == "0" * 16 and w["bytes"] > 0,
           f"{artifact}: manifest weights of a stripped artifact: {w}")
    r = run([args.attnc_run, artifact] + PROMPTS, expect_rc=1)
    expect("--strip-weights" in r.stderr and "attnc pack" in r.stderr,
           f"running a stripped artifact: unclear error: {r.stderr.strip()}")


def check_packed(args, reference, artifact, reference_tokens):
    expect(filecmp.cmp(os.path.join(reference, "weights.bin"),
                       os.path.join(artifact, "weights.bin"), shallow=False),
           f"{artifact}: packed weights.bin differs from the compiled one")
    ref_w, w = manifest(reference)["weights"], manifest(artifact)["weights"]
    expect("stripped" not in w and w["xxh3_64"] == ref_w["xxh3_64"] and w["bytes"] == ref_w["bytes"],
           f"{artifact}: manifest weights {w} vs the compiled {ref_w}")
    tokens = run([args.attnc_run, artifact] + PROMPTS).stdout
    expect(tokens == reference_tokens,
           f"{artifact}: generates {tokens!r}, the compiled artifact {reference_tokens!r}")
    no_leftovers(artifact)


def compile_pair(args, name, model, work, quantize=None):
    label = name + ("-" + quantize if quantize else "")
    reference = os.path.join(work, label + "-ref")
    stripped = os.path.join(work, label + "-stripped")
    options = ["--max-batch-tokens", "64"] + (["--quantize", quantize] if quantize else [])
    run([args.attnc, "compile", model, "-o", reference] + options)
    run([args.attnc, "compile", model, "-o", stripped, "--strip-weights"] + options)
    if quantize:
        for artifact in (reference, stripped):
            expect(manifest(artifact)["compile_options"].get("quantize") == quantize,
                   f"{artifact}: the manifest does not record --quantize {quantize}")
        with open(os.path.join(stripped, "weights.plan.json")) as f:
            expect('"op":"quantize"' in f.read(),
                   f"{stripped}: the weight plan has no quantize transform")
    return reference, stripped


def fixture_case(args, name, packer, quantize=None):
    model = os.path.join(args.fixtures, name + ".onnx")
    reference, stripped = compile_pair(args, name, model, args.work, quantize)
    reference_tokens = run([args.attnc_run, reference] + PROMPTS).stdout
    check_stripped(args, stripped)
    r = run(packer + [stripped, "--from", model])
    expect(r.stdout.startswith("packed "), f"pack output: {r.stdout!r}")
    check_packed(args, reference, stripped, reference_tokens)
    # Packing a packed artifact packs it again, to the same bytes.
    r = run(packer + [stripped, "--from", model])
    expect(r.stdout.startswith("repacked "), f"re-pack output: {r.stdout!r}")
    check_packed(args, reference, stripped, reference_tokens)
    return reference, stripped


def decoded_weights(artifact, initializers):
    """The quantized weights of `artifact` decoded (runtime/QuantizedWeights.h)
    and mapped back through the plan's concat / transpose2d onto the
    initializers they come from; checks each is within half a step (4 bits:
    each inside its group's clipped range; the rest decode to the range's end)."""
    with open(os.path.join(artifact, "weights.plan.json")) as f:
        blobs = json.load(f)["blobs"]
    data = np.fromfile(os.path.join(artifact, "weights.bin"), dtype=np.uint8)
    decoded = {}

    def original(e):
        if e["op"] == "initializer":
            return initializers[e["name"]].astype(np.float32)
        if e["op"] == "transpose2d":
            return original(e["input"]).T
        if e["op"] == "concat":
            return np.concatenate([original(i) for i in e["inputs"]], axis=e["axis"])
        raise Failure(f"{artifact}: unexpected quantize input op {e['op']}")

    def assign(e, w):
        if e["op"] == "initializer":
            decoded[e["name"]] = w
        elif e["op"] == "transpose2d":
            assign(e["input"], w.T)
        else:
            offset = 0
            for i in e["inputs"]:
                n = i["shape"][e["axis"]]
                assign(i, np.take(w, range(offset, offset + n), axis=e["axis"]))
                offset += n

    def part(blob, dtype, count):
        return data[blob["offset"]:blob["offset"] + count * np.dtype(dtype).itemsize].view(dtype)

    # A weight's parts by (part, what is quantized and how): the plan promises
    # no order among a weight's values, scales and zeros.
    def key(e):
        return json.dumps([e["input"], e["bits"], e["group_size"], e["asymmetric"]],
                          sort_keys=True)

    parts = {(b["source"]["part"], key(b["source"])): b for b in blobs
             if b["source"]["op"] == "quantize"}

    def sibling(e, name):
        found = parts.get((name, key(e)))
        expect(found is not None, f"{artifact}: a quantized weight without its {name}")
        return found

    for blob in blobs:
        e = blob["source"]
        if e["op"] != "quantize" or e["part"] != "values":
            continue
        n, k = e["input"]["shape"]
        group = e["group_size"] or k
        scales = np.repeat(part(sibling(e, "scales"), np.float32, n * (k // group)).reshape(n, -1),
                           group, 1)
        if e["bits"] == 8:
            codes = np.uint8 if e["asymmetric"] else np.int8
            q = part(blob, codes, n * k).reshape(n, k).astype(np.float32)
        else:
            packed = part(blob, np.uint8, n * k // 2).reshape(n, k // 2)
            q = np.empty((n, k), np.float32)
            q[:, 0::2], q[:, 1::2] = packed & 15, packed >> 4
        zero = 0
        if e["asymmetric"] or e["bits"] == 4:
            zero = (np.repeat(part(sibling(e, "zeros"), np.uint8, n * (k // group)).reshape(n, -1), group,
                              1).astype(np.float32) if e["asymmetric"] else 8)
        w = (q - zero) * scales
        x = original(e["input"])
        error = np.abs(w - x) / scales
        if e["bits"] == 4:
            # The group's clipped range: weights past its ends decode to the end.
            low = (0 - zero) * scales
            high = (15 - zero) * scales
            outside = (x < low - scales / 2) | (x > high + scales / 2)
            clamped = np.where(x < low, low, high)
            expect(np.array_equal(w[outside], clamped[outside]),
                   f"{artifact}: a weight past its group's range does not decode to the range's end")
            error = np.where(outside, 0, error)
        expect(error.max() <= 0.5 + 1e-4,
               f"{artifact}: a quantized weight decodes {error.max():.3f} steps from the original")
        assign(e["input"], w)
    expect(decoded, f"{artifact}: no quantized weights in the plan")
    return decoded


def check_quantized_layout(args, name, reference):
    """The quantized artifact computes what the model with its decoded weights computes."""
    model = onnx.load(os.path.join(args.fixtures, name + ".onnx"))
    initializers = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    decoded = decoded_weights(reference, initializers)
    for t in model.graph.initializer:
        if t.name in decoded:
            t.CopyFrom(numpy_helper.from_array(
                decoded[t.name].astype(np.float32).reshape(initializers[t.name].shape), t.name))
    dense_model = reference + "-decoded.onnx"
    onnx.save(model, dense_model)
    dense = reference + "-decoded"
    run([args.attnc, "compile", dense_model, "-o", dense, "--max-batch-tokens", "64"])
    for tokens in ("5,1,4,1,5,9,2,6,5,3,5,8", "7"):  # the prefill and the decode kernels
        logits = []
        for artifact in (reference, dense):
            out = artifact + "-logits.npy"
            run([args.attnc_run, artifact, "--tokens", tokens, "--max-new-tokens", "1",
                 "--dump-logits", out])
            logits.append(np.load(out))
        diff = np.abs(logits[0] - logits[1]).max() / np.abs(logits[1]).max()
        expect(diff <= 1e-4, f"{reference}: logits differ from the decoded-weight model's by {diff:.2e}")
    generated = [run([args.attnc_run, a] + PROMPTS).stdout for a in (reference, dense)]
    expect(generated[0] == generated[1],
           f"{reference}: generates {generated[0]!r}, the decoded-weight model {generated[1]!r}")


def save_external(model_path, out_dir, location="weights.data"):
    os.makedirs(out_dir, exist_ok=True)
    model = onnx.load(model_path)
    out = os.path.join(out_dir, "model.onnx")
    onnx.save_model(model, out, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=location, size_threshold=0)
    return out


def expect_pack_error(args, stripped, model, needles, what):
    """A failed pack: exit 1, an error naming the problem, nothing written."""
    r = run([args.attnc, "pack", stripped, "--from", model], expect_rc=1)
    for needle in needles:
        expect(needle in r.stderr, f"{what}: the error does not say {needle!r}: {r.stderr.strip()}")
    expect(not os.path.exists(os.path.join(stripped, "weights.bin")),
           f"{what}: a failed pack left weights.bin")
    expect(manifest(stripped)["weights"].get("stripped") is True,
           f"{what}: a failed pack changed the manifest")
    no_leftovers(stripped)


def external_and_bad_input(args, reference):
    name = "llama-sdpa"
    work = os.path.join(args.work, "external")
    shutil.rmtree(work, ignore_errors=True)
    ext_model = save_external(os.path.join(args.fixtures, name + ".onnx"), work)
    expect(os.path.getsize(os.path.join(work, "weights.data")) > 100000,
           "the external data file holds too little: were the weights saved externally?")
    stripped = os.path.join(args.work, name + "-external-stripped")
    run([args.attnc, "compile", ext_model, "-o", stripped, "--strip-weights",
         "--max-batch-tokens", "64"])
    reference_tokens = run([args.attnc_run, reference] + PROMPTS).stdout
    pristine = stripped + "-pristine"
    shutil.rmtree(pristine, ignore_errors=True)
    shutil.copytree(stripped, pristine)
    run([args.attnc_pack, stripped, "--from", ext_model])
    check_packed(args, reference, stripped, reference_tokens)

    def fresh():
        shutil.rmtree(stripped)
        shutil.copytree(pristine, stripped)
        return stripped

    names = plan_initializers(pristine)
    expect(names, "the weight plan names no initializers")
    victim = names[len(names) // 2]

    # An initializer the plan needs is missing.
    model = onnx.load(ext_model, load_external_data=False)
    kept = [t for t in model.graph.initializer if t.name != victim]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    missing = os.path.join(work, "missing.onnx")
    onnx.save_model(model, missing)
    expect_pack_error(args, fresh(), missing, [f"initializer '{victim}'", "is not in"],
                      "missing initializer")

    # An initializer of another shape.
    model = onnx.load(ext_model, load_external_data=False)
    for t in model.graph.initializer:
        if t.name == victim:
            dims = list(t.dims)
            t.dims[:] = list(reversed(dims)) if len(set(dims)) > 1 else dims + [1]
            expected_shape = "[" + ", ".join(map(str, dims)) + "]"
    reshaped = os.path.join(work, "reshaped.onnx")
    onnx.save_model(model, reshaped)
    expect_pack_error(args, fresh(), reshaped,
                      [f"initializer '{victim}'", "the artifact expects f32 " + expected_shape],
                      "wrong shape")

    # Truncated external data, then none at all.
    data = os.path.join(work, "weights.data")
    size = os.path.getsize(data)
    shutil.copy(data, data + ".full")
    with open(data, "r+b") as f:
        f.truncate(size // 2)
    expect_pack_error(args, fresh(), ext_model, ["weights.data", "is too short"],
                      "truncated external data")
    os.remove(data)
    expect_pack_error(args, fresh(), ext_model, ["weights.data", "is missing"],
                      "missing external data")
    shutil.move(data + ".full", data)

    # A stripped compile needs no weight bytes: it works with the external
    # data file absent (ONNX's default threshold keeps the small shape
    # constants inside the model), and packing where the data is gives the
    # compiled bytes.
    graph_only = os.path.join(args.work, "graph-only")
    shutil.rmtree(graph_only, ignore_errors=True)
    os.makedirs(graph_only)
    graph_model_small = os.path.join(graph_only, "model-default-threshold.onnx")
    onnx.save_model(onnx.load(os.path.join(args.fixtures, name + ".onnx")), graph_model_small,
                    save_as_external_data=True, all_tensors_to_one_file=True,
                    location="small.data")
    shutil.move(os.path.join(graph_only, "small.data"), os.path.join(graph_only, "small.data.away"))
    no_data = os.path.join(args.work, name + "-no-data-stripped")
    r = run([args.attnc, "compile", graph_model_small, "-o", no_data, "--strip-weights",
             "--max-batch-tokens", "64"])
    expect("external data file 'small.data' is absent" in r.stderr,
           f"compiling without the external data: no warning: {r.stderr.strip()}")
    run([args.attnc, "compile", graph_model_small, "-o", no_data + "-x"], expect_rc=1)
    shutil.move(os.path.join(graph_only, "small.data.away"), os.path.join(graph_only, "small.data"))
    run([args.attnc, "pack", no_data, "--from", graph_model_small])
    check_packed(args, reference, no_data, reference_tokens)

    # Not an artifact; a bad command line.
    r = run([args.attnc, "pack", work, "--from", ext_model], expect_rc=1)
    expect("is not an attnc artifact" in r.stderr, f"not an artifact: {r.stderr.strip()}")
    run([args.attnc, "pack", fresh()], expect_rc=2)
    run([args.attnc_pack, "--from", ext_model], expect_rc=2)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--attnc", required=True)
    p.add_argument("--attnc-run", required=True)
    p.add_argument("--attnc-pack", required=True)
    p.add_argument("--fixtures", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--only", help="run one fixture (and, for llama-sdpa, the external-data cases)")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    failures = []
    for i, name in enumerate(FIXTURES):
        if args.only and name != args.only:
            continue
        # Alternate `attnc pack` and the standalone attnc-pack.
        packer = [args.attnc, "pack"] if i % 2 == 0 else [args.attnc_pack]
        try:
            reference, _ = fixture_case(args, name, packer)
            if name == "llama-sdpa":
                external_and_bad_input(args, reference)
            print(f"PASS {name}")
        except Failure as e:
            failures.append(name)
            print(f"FAIL {name}: {e}")
    for i, (name, scheme) in enumerate(QUANTIZED):
        if args.only and name != args.only:
            continue
        packer = [args.attnc, "pack"] if i % 2 == 0 else [args.attnc_pack]
        label = f"{name} --quantize {scheme}"
        try:
            reference, _ = fixture_case(args, name, packer, scheme)
            check_quantized_layout(args, name, reference)
            print(f"PASS {label}")
        except Failure as e:
            failures.append(label)
            print(f"FAIL {label}: {e}")
    if failures:
        print(f"{len(failures)} failed: {', '.join(failures)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
