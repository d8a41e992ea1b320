#!/usr/bin/env python3
"""attnc vs onnxruntime (CPUExecutionProvider): prefill and decode tokens/s.

Same machine, same run, same thread count, same random prompts:

  attnc  the stateless model compiled by `attnc compile`, driven step by step
         through libattnrt by bench/attnc_bench.cpp (built here with c++
         against build/lib/libattnrt.a), a child process answering timing
         requests over a pipe.
  ORT    the KV-cached export of the same weights (bench/export_bench_model.py
         cached.onnx), in this process: prefill with past = 0, then one token
         a step with present fed back as past (no recomputation),
         intra_op_num_threads = --threads, graph optimizations at their
         default (all).

Measured (tokens/s, median over --reps repetitions after one warm-up):
  prefill P   one sequence of P prompt tokens until its first token is
              sampled; P tokens / time.
  decode B    B sequences of --decode-prompt tokens, prefilled untimed, then
              --decode-tokens greedy steps; B * steps / time.
attnc and ORT repetitions are interleaved (ABBA order), so load from other
users of the machine hits both sides alike.

Before timing, the outputs are checked: attnc's prompt logits (attnc-run
--dump-logits) against the stateless model in ORT, and greedy tokens of
every timed repetition (each side sees the same prompts) must be equal.

--quantize SCHEME (w8, w4g128, w4g64) times weight-only quantized models on
both sides instead: attnc compiles with `--quantize SCHEME
--quantize-lm-head`; ORT runs cached.onnx quantized by its own
MatMulNBitsQuantizer (8 or 4 bits, symmetric, blocks of the scheme's group,
128 for w8; every MatMul with a constant weight, lm_head included;
--ort-accuracy-level, default 4: int8 products, its fastest CPU kernels).
The two quantize differently (attnc: a scale per output channel for w8, the
clipped range of least error for 4 bits; ORT: round to nearest over the full
range of each block), so neither the logits nor the greedy tokens are
expected to match: the check reports attnc's top-1 agreement with the f32
model, and the greedy-token agreement of the two sides is recorded, not
required.

Usage:
    python3 bench/cpu_vs_ort.py --models DIR --json OUT.json [--png OUT.png]
        [--threads 2] [--reps 5]
DIR is what bench/export_bench_model.py wrote; the attnc artifact is compiled
into DIR/artifact unless it is already there (--recompile to force).
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

# numpy's OpenBLAS is used only for the machine references below: one
# thread, so they are per-core figures (set before numpy is imported).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from attnc_harness import AttncHarness  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    log("$ " + " ".join(shlex.quote(c) for c in cmd))
    return subprocess.run(cmd, check=True, **kw)


def warn_blas_override():
    core = os.environ.get("OPENBLAS_CORETYPE")
    if core:
        log(f"note: OPENBLAS_CORETYPE={core} in the environment chooses attnc's GEMM kernels "
            "(unset it to measure OpenBLAS's own choice for this CPU)")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# ---------------------------------------------------------------------------
# attnc side
# ---------------------------------------------------------------------------

def compile_artifact(args):
    name = "artifact" + (f"-{args.quantize}" if args.quantize else "")
    artifact = os.path.join(args.models, name)
    if args.recompile or not os.path.exists(os.path.join(artifact, "manifest.json")):
        start = time.time()
        quant = ["--quantize", args.quantize, "--quantize-lm-head"] if args.quantize else []
        run([os.path.join(args.build, "bin", "attnc"), "compile",
             os.path.join(args.models, "stateless.onnx"), "-o", artifact,
             f"--max-batch-tokens={args.max_batch_tokens}"] + quant)
        log(f"compiled in {time.time() - start:.0f} s")
    return artifact


# Bits and block size of ORT's MatMulNBits for an attnc scheme.
ORT_SCHEMES = {"w8": (8, 128), "w4g128": (4, 128), "w4g64": (4, 64)}


def ort_quantized_model(args):
    """cached.onnx quantized by onnxruntime's MatMulNBitsQuantizer (written once)."""
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
    import onnx
    bits, block = ORT_SCHEMES[args.quantize]
    path = os.path.join(args.models,
                        f"cached-{args.quantize}-a{args.ort_accuracy_level}.onnx")
    if args.recompile or not os.path.exists(path):
        q = MatMulNBitsQuantizer(onnx.load(os.path.join(args.models, "cached.onnx")),
                                 bits=bits, block_size=block, is_symmetric=True,
                                 accuracy_level=args.ort_accuracy_level)
        q.process()
        if os.path.exists(path + ".data"):
            os.remove(path + ".data")  # the saver appends to existing external data
        q.model.save_model_to_file(path, use_external_data_format=True)
        log(f"ORT model quantized by MatMulNBitsQuantizer: {path}")
    return path


def build_harness(args):
    exe = os.path.join(args.models, "attnc_bench")
    src = os.path.join(ROOT, "bench", "attnc_bench.cpp")
    lib = os.path.join(args.build, "lib", "libattnrt.a")
    if (not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src)
            or os.path.getmtime(exe) < os.path.getmtime(lib)):
        run(["c++", "-O2", "-std=c++17", "-I", ROOT, src, lib, "-lxxhash", "-ldl",
             "-lpthread", "-o", exe])
    return exe


class Attnc(AttncHarness):
    def prefill(self, prompts):
        r = self.ask("prefill " + self.ids(prompts))
        return r["seconds"], [t[0] for t in r["tokens"]]

    def decode(self, prompts, steps):
        r = self.ask(f"decode {steps} " + self.ids(prompts))
        return r["seconds"], np.array(r["tokens"])


# ---------------------------------------------------------------------------
# onnxruntime side
# ---------------------------------------------------------------------------

class OrtCached:
    def __init__(self, path, threads):
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        self.past_names = [i.name for i in self.sess.get_inputs()
                           if i.name.startswith("past_key_values.")]
        self.out_names = [o.name for o in self.sess.get_outputs()]
        shape = next(i.shape for i in self.sess.get_inputs()
                     if i.name == self.past_names[0])
        self.kv_heads, self.head_dim = shape[1], shape[3]

    def _step(self, ids, past):
        b = ids.shape[0]
        total = ids.shape[1] + next(iter(past.values())).shape[2]
        feed = {"input_ids": ids, "attention_mask": np.ones((b, total), np.int64), **past}
        outs = self.sess.run(self.out_names, feed)
        return outs[0][:, -1], dict(zip(self.past_names, outs[1:]))

    def _empty(self, b):
        return {n: np.zeros((b, self.kv_heads, 0, self.head_dim), np.float32)
                for n in self.past_names}

    def prefill(self, prompts):
        ids = prompts.astype(np.int64)
        past = self._empty(ids.shape[0])
        t0 = time.perf_counter()
        logits, _ = self._step(ids, past)
        token = logits.argmax(-1)
        return time.perf_counter() - t0, token.tolist()

    def decode(self, prompts, steps):
        ids = prompts.astype(np.int64)
        logits, past = self._step(ids, self._empty(ids.shape[0]))  # untimed
        token = logits.argmax(-1)
        out = [token]
        t0 = time.perf_counter()
        for _ in range(steps):
            logits, past = self._step(token.reshape(-1, 1).astype(np.int64), past)
            token = logits.argmax(-1)
            out.append(token)
        return time.perf_counter() - t0, np.stack(out, 1)


def logits_check(args, artifact, attnc_run, threads):
    """attnc-run --dump-logits on one short prompt vs the stateless model in ORT."""
    rng = np.random.default_rng(7)
    prompt = rng.integers(0, 8192, 24)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "logits.npy")
        run([attnc_run, artifact, "--tokens", ",".join(map(str, prompt)),
             "--max-new-tokens", "1", "--threads", str(threads), "--dump-logits", path],
            stdout=subprocess.DEVNULL)
        got = np.load(path)
    sess = ort.InferenceSession(os.path.join(args.models, "stateless.onnx"),
                                providers=["CPUExecutionProvider"])
    ids = prompt.reshape(1, -1).astype(np.int64)
    (want,) = sess.run(["logits"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})
    want = want[0]
    top2 = np.sort(want, -1)[:, -2:]
    return {"prompt_len": len(prompt),
            "max_abs_diff": float(np.abs(got - want).max()),
            "max_abs_logit": float(np.abs(want).max()),
            "argmax_equal": bool((got.argmax(-1) == want.argmax(-1)).all()),
            "top1_agreement": float((got.argmax(-1) == want.argmax(-1)).mean()),
            "finite": bool(np.isfinite(got).all()),
            "min_top2_margin": float((top2[:, 1] - top2[:, 0]).min())}


# ---------------------------------------------------------------------------

def floors(threads):
    """Machine references measured in this run with numpy (its own OpenBLAS,
    one thread): streaming read bandwidth and sgemm [512,512]x[512,1536]."""
    a = np.ones(64 << 20, np.float32)  # 256 MiB, far above the L3
    bw = []
    for _ in range(5):
        t0 = time.perf_counter()
        a.sum()
        bw.append(a.nbytes / (time.perf_counter() - t0) / 1e9)
    del a
    x = np.random.rand(512, 512).astype(np.float32)
    w = np.random.rand(512, 1536).astype(np.float32)
    gf = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(10):
            x @ w
        gf.append(10 * 2 * 512 * 512 * 1536 / (time.perf_counter() - t0) / 1e9)
    return {"numpy_read_GBps_1thread": statistics.median(bw),
            "numpy_sgemm_GFLOPs_1thread_512x512x1536": statistics.median(gf),
            "note": "one thread; numpy's bundled OpenBLAS (not the one attnc links)"}


def model_costs(artifact, f32_artifact_bytes=None):
    """Decode bytes per step and prefill FLOPs per token, from the artifact
    (parameter counts from the f32 weight bytes: the quantized artifact's
    packed bytes give only the bytes a step reads)."""
    m = json.load(open(os.path.join(artifact, "manifest.json")))
    arch = m["architecture"]
    elems = (f32_artifact_bytes or m["weights"]["bytes"]) // 4
    emb = arch["vocab_size"] * arch["hidden_size"]
    layer_linear = elems - 2 * emb  # everything but the embedding and lm_head (norms: noise)
    attn_per_pair = 4 * arch["num_layers"] * arch["num_heads"] * arch["head_dim"]
    return {"weight_bytes": m["weights"]["bytes"],
            # all but the embedding table (f32 in every scheme)
            "decode_weight_bytes_per_step": m["weights"]["bytes"] - emb * 4,
            "layer_linear_params": layer_linear, "embedding_params": emb,
            "attn_flops_per_query_key_pair": attn_per_pair}


def prefill_flops(costs, length):
    c = costs
    return (2 * c["layer_linear_params"] * length + 2 * c["embedding_params"]  # lm_head once
            + c["attn_flops_per_query_key_pair"] * length * (length + 1) // 2)


def summarize(name, tokens, attnc_s, ort_s):
    a = [tokens / s for s in attnc_s]
    o = [tokens / s for s in ort_s]
    am, om = statistics.median(a), statistics.median(o)
    return {"name": name, "tokens_per_rep": tokens,
            "attnc_tok_s": a, "ort_tok_s": o,
            "attnc_median_tok_s": am, "ort_median_tok_s": om,
            "attnc_spread": (max(a) - min(a)) / am, "ort_spread": (max(o) - min(o)) / om,
            "ratio_attnc_over_ort": am / om}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", required=True, help="bench/export_bench_model.py output dir")
    p.add_argument("--json", required=True, help="write results here")
    p.add_argument("--png", help="bar chart of the ratios (needs matplotlib)")
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--prefill", default="128,512", help="prompt lengths")
    p.add_argument("--decode-batches", default="1,4")
    p.add_argument("--decode-prompt", type=int, default=128)
    p.add_argument("--decode-tokens", type=int, default=32)
    p.add_argument("--max-batch-tokens", type=int, default=512)
    p.add_argument("--kv-pages", type=int, default=512)
    p.add_argument("--recompile", action="store_true")
    p.add_argument("--quantize", choices=sorted(ORT_SCHEMES),
                   help="weight-only quantized models on both sides (see above)")
    p.add_argument("--ort-accuracy-level", type=int, default=4, choices=[0, 1, 2, 3, 4],
                   help="MatMulNBits accuracy_level of the ORT model (--quantize)")
    args = p.parse_args()
    warn_blas_override()

    artifact = compile_artifact(args)
    exe = build_harness(args)
    attnc_run = os.path.join(args.build, "bin", "attnc-run")

    check = logits_check(args, artifact, attnc_run, args.threads)
    log(f"prompt logits attnc vs ORT (f32 model): {check}")
    if not check["finite"] or (not args.quantize and (not check["argmax_equal"]
                                                      or check["max_abs_diff"] > 1e-2)):
        log("FAILED: attnc and ORT logits disagree")
        return 1

    ref = floors(args.threads)
    log(f"machine references: {ref}")
    f32_bytes = None
    if args.quantize:
        f32_bytes = os.path.getsize(os.path.join(args.models, "stateless.onnx.data"))
    costs = model_costs(artifact, f32_bytes)
    attnc = Attnc(exe, artifact, args.threads, args.kv_pages)
    ort_path = ort_quantized_model(args) if args.quantize else os.path.join(args.models,
                                                                              "cached.onnx")
    ortc = OrtCached(ort_path, args.threads)
    log(f"attnc engine: {attnc.info}")
    vocab = attnc.info["vocab"]

    configs = [("prefill", int(n), 1) for n in args.prefill.split(",") if n]
    configs += [("decode", args.decode_prompt, int(b)) for b in args.decode_batches.split(",") if b]
    times = {c: {"attnc": [], "ort": []} for c in configs}
    mismatches = {c: 0 for c in configs}
    agreement = {c: [] for c in configs}  # share of equal greedy tokens per repetition
    for rep in range(args.reps + 1):  # rep 0 is the warm-up
        for ci, (kind, length, batch) in enumerate(configs):
            rng = np.random.default_rng(1000 * rep + ci)
            prompts = rng.integers(0, vocab, (batch, length))
            order = ("attnc", "ort") if rep % 2 == 0 else ("ort", "attnc")
            res = {}
            for side in order:
                engine = attnc if side == "attnc" else ortc
                if kind == "prefill":
                    res[side] = engine.prefill(prompts)
                else:
                    res[side] = engine.decode(prompts, args.decode_tokens)
            ta, to = np.asarray(res["attnc"][1]), np.asarray(res["ort"][1])
            if ta.shape != to.shape:
                log(f"FAILED: token shapes differ {ta.shape} vs {to.shape}")
                return 1
            agreement[(kind, length, batch)].append(float((ta == to).mean()))
            if not (ta == to).all():
                mismatches[(kind, length, batch)] += 1
                if not args.quantize:
                    log(f"token mismatch {kind} {length} b{batch} rep {rep}: "
                        f"{ta.tolist()} vs {to.tolist()}")
            if rep > 0:
                times[(kind, length, batch)]["attnc"].append(res["attnc"][0])
                times[(kind, length, batch)]["ort"].append(res["ort"][0])
            log(f"rep {rep} {kind} len {length} batch {batch}: "
                f"attnc {res['attnc'][0]*1e3:.1f} ms, ORT {res['ort'][0]*1e3:.1f} ms")
    attnc.close()

    results = []
    for (kind, length, batch), t in times.items():
        if kind == "prefill":
            name, tokens = f"prefill {length} tokens, batch 1", length
        else:
            name = f"decode batch {batch} (prompt {length}, {args.decode_tokens} steps)"
            tokens = batch * args.decode_tokens
        r = summarize(name, tokens, t["attnc"], t["ort"])
        for side in ("attnc", "ort"):
            sec = statistics.median(t[side])
            if kind == "prefill":
                r[f"{side}_GFLOPs"] = prefill_flops(costs, length) / sec / 1e9
            else:
                r[f"{side}_ms_per_step"] = sec / args.decode_tokens * 1e3
                r[f"{side}_weight_GBps"] = (costs["decode_weight_bytes_per_step"]
                                            * args.decode_tokens / sec / 1e9)
        r.update(kind=kind, prompt_len=length, batch=batch,
                 token_mismatch_reps=mismatches[(kind, length, batch)],
                 token_agreement=statistics.median(agreement[(kind, length, batch)]),
                 attnc_seconds=t["attnc"], ort_seconds=t["ort"])
        results.append(r)

    out = {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu": cpu_model(), "logical_cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    # attnc's CPU GEMMs are OpenBLAS's; this variable overrides its
                    # choice of kernels (null: OpenBLAS detected the CPU itself).
                    "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE")},
        # "python3" rather than sys.executable: no paths of this machine's Python.
        "command": " ".join(shlex.quote(a) for a in ["python3"] + sys.argv),
        "threads": args.threads, "reps": args.reps,
        "quantize": args.quantize,
        "ort_model": os.path.basename(ort_path),
        "ort_accuracy_level": args.ort_accuracy_level if args.quantize else None,
        "onnxruntime": ort.__version__, "numpy": np.__version__,
        "model": json.load(open(os.path.join(artifact, "manifest.json")))["architecture"],
        "logits_check": check,
        "machine_references": ref,
        "model_costs": costs,
        "results": results,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")

    print(f"{'benchmark':44} {'attnc tok/s':>12} {'ORT tok/s':>12} {'attnc/ORT':>10}"
          f" {'spread a/o':>12}  {'attnc/ORT achieved':>24} mism")
    for r in results:
        if r["kind"] == "prefill":
            ach = f"{r['attnc_GFLOPs']:.1f}/{r['ort_GFLOPs']:.1f} GFLOP/s"
        else:
            ach = f"{r['attnc_weight_GBps']:.2f}/{r['ort_weight_GBps']:.2f} GB/s"
        print(f"{r['name']:44} {r['attnc_median_tok_s']:12.1f} {r['ort_median_tok_s']:12.1f} "
              f"{r['ratio_attnc_over_ort']:10.2f} {r['attnc_spread']*100:5.0f}%/{r['ort_spread']*100:3.0f}%"
              f"  {ach:>24} {r['token_mismatch_reps']}")
    print(f"references: numpy read {ref['numpy_read_GBps_1thread']:.1f} GB/s (1 thread), "
          f"numpy sgemm {ref['numpy_sgemm_GFLOPs_1thread_512x512x1536']:.1f} GFLOP/s")

    if args.png:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            log("matplotlib not available: no PNG written")
        else:
            fig, ax = plt.subplots(figsize=(7, 3.5))
            ax.bar([r["name"].split(" (")[0] for r in results],
                   [r["ratio_attnc_over_ort"] for r in results])
            ax.axhline(1.0, color="k", lw=0.8)
            ax.set_ylabel("attnc / onnxruntime tok/s")
            ax.set_title(f"{cpu_model()}, {args.threads} threads")
            plt.xticks(rotation=20, ha="right")
            fig.tight_layout()
            fig.savefig(args.png, dpi=120)
    if args.quantize:
        print("greedy-token agreement attnc / ORT (quantized differently): " + ", ".join(
            f"{r['name'].split(' (')[0]} {100 * r['token_agreement']:.0f}%" for r in results))
        return 0
    bad = sum(mismatches.values())
    if bad:
        log(f"FAILED: greedy tokens differ in {bad} repetition(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
