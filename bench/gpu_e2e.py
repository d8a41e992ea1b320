#!/usr/bin/env python3
"""attnc vs PyTorch on one NVIDIA GPU: prefill and decode tokens/s, f16.

Same GPU, same process run, same weights, same random prompts:

  attnc     the stateless export (bench/export_bench_model.py) compiled with
            `attnc compile --target cuda --dtype f16 --strip-weights` and
            packed here (`attnc-pack`), driven step by step through libattnrt
            by bench/attnc_bench (a child process answering over a pipe);
            decode steps replay CUDA graphs (one per batch shape).
  attnc-nograph  the same artifact with ATTNC_CUDA_GRAPHS=0 (every step
            enqueued kernel by kernel), decode only: what the graphs buy.
  hf        the same Hugging Face LlamaForCausalLM (rebuilt with the
            export's seed, so the weights are the exported ones) in f16,
            plain PyTorch eager execution (sdpa attention, DynamicCache):
            untimed prefill, then one forward + argmax per token.
  compiled  the same model with a StaticCache and its decode step (forward +
            argmax) under torch.compile(mode="reduce-overhead",
            fullgraph=True, dynamic=False), i.e. CUDA graphs; prefill eager
            (the usual recipe compiles only the decode step). Compile time
            is reported, not timed.

Measured (tokens/s, median over --reps repetitions after one warm-up;
systems interleaved, order rotated each repetition):
  prefill P   one sequence of P tokens until its first token is sampled
              (attnc, hf): P / time.
  decode B    B sequences of --decode-prompt tokens, prefilled untimed, then
              --decode-tokens greedy steps: B * steps / time.
Also: device-to-device copy bandwidth (torch, bytes read + written) and the
batch-1 decode roofline = f16 weight bytes / that bandwidth; attnc's and
HF's prompt logits against the f32 model; greedy-token agreement (f16: near
ties may diverge, reported, not failed); optionally (--ncu) the GPU kernel
time of attnc's decode steps vs their wall time.

Usage (on the GPU machine; bench/gpu_e2e.sh exports, packs and calls it):
    python3 bench/gpu_e2e.py --artifact ART --harness EXE \\
        --preset tinyllama-8l --json OUT.json [--ncu]
    python3 bench/gpu_e2e.py --systems hf,compiled --preset tinyllama-1.1b --json OUT.json
"""

import argparse
import csv
import datetime
import hashlib
import io
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from attnc_harness import AttncHarness  # noqa: E402
from export_bench_model import build_model  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ATTNC_CUDA_STEP_TIMES=1: the runtime's summary of its replayed decode
# graphs (runtime/cuda/Step.cu), printed when the engine closes.
STEP_TIMES = re.compile(
    r"attnc cuda: (\d+) graph replays, median us: GPU ([\d.]+) \(min ([\d.]+)\), GPU idle "
    r"before it ([\d.]+); host: caller ([\d.]+), begin_step ([\d.]+), launch ([\d.]+), "
    r"end_step wait ([\d.]+)")


def parse_step_times(text):
    """The last step-times summary in `text` as a dict (us), or None."""
    found = STEP_TIMES.findall(text or "")
    if not found:
        return None
    keys = ("replays", "gpu_us", "gpu_min_us", "gpu_idle_before_us", "caller_us",
            "begin_step_us", "launch_us", "end_step_wait_us")
    values = found[-1]
    return {k: (int(v) if k == "replays" else float(v)) for k, v in zip(keys, values)}


class Attnc(AttncHarness):
    """attnc_bench over a CUDA artifact (one host thread: the GPU parallelises).
    With ATTNC_CUDA_STEP_TIMES=1 in the environment, close() keeps the
    runtime's GPU / host split of the decode steps in step_times."""

    def __init__(self, exe, artifact, kv_pages, graphs=True):
        env = dict(os.environ)
        if not graphs:
            env["ATTNC_CUDA_GRAPHS"] = "0"
        self.step_times = None
        super().__init__(exe, artifact, 1, kv_pages, env=env,
                         capture_stderr=env.get("ATTNC_CUDA_STEP_TIMES") == "1")

    def close(self, timeout=60):
        err = super().close(timeout)
        if err:
            sys.stderr.write(err)
            self.step_times = parse_step_times(err)
        return err

    def prefill(self, prompts):
        r = self.ask("prefill " + self.ids(prompts))
        return r["seconds"], np.array([t[0] for t in r["tokens"]]), r

    def decode(self, prompts, steps):
        r = self.ask(f"decode {steps} " + self.ids(prompts))
        return r["seconds"], np.array(r["tokens"])[:, 1:], r  # drop the prefill token

    def logits(self, prompt, vocab):
        with tempfile.NamedTemporaryFile(suffix=".f32") as f:
            self.ask(f"logits {f.name} " + self.ids([prompt]))
            return np.fromfile(f.name, np.float32).reshape(len(prompt), vocab)



def sync():
    torch.cuda.synchronize()


class HfEager:
    def __init__(self, model):
        self.model = model

    @torch.no_grad()
    def prefill(self, prompts):
        ids = torch.from_numpy(prompts).cuda()
        sync()
        t0 = time.perf_counter()
        out = self.model(input_ids=ids, use_cache=True, logits_to_keep=1)
        tok = out.logits[:, -1].argmax(-1)
        sync()
        return time.perf_counter() - t0, tok.cpu().numpy()

    @torch.no_grad()
    def decode(self, prompts, steps):
        ids = torch.from_numpy(prompts).cuda()
        out = self.model(input_ids=ids, use_cache=True, logits_to_keep=1)
        cache, tok = out.past_key_values, out.logits[:, -1].argmax(-1, keepdim=True)
        toks = []
        sync()
        t0 = time.perf_counter()
        for _ in range(steps):
            out = self.model(input_ids=tok, past_key_values=cache, use_cache=True)
            tok = out.logits[:, -1].argmax(-1, keepdim=True)
            toks.append(tok)
        sync()
        seconds = time.perf_counter() - t0
        return seconds, torch.cat(toks, 1).cpu().numpy()


class Compiled:
    """StaticCache + torch.compile(mode="reduce-overhead") decode step, one
    cache per batch size (CUDA graphs need fixed addresses)."""

    def __init__(self, model, max_len):
        from transformers import StaticCache
        self.model, self.max_len, self.caches = model, max_len, {}
        self.StaticCache = StaticCache

        def step(tok, pos, cache):
            logits = model(input_ids=tok, position_ids=pos.expand(tok.shape[0], 1),
                           cache_position=pos, past_key_values=cache, use_cache=True,
                           return_dict=False)[0]
            return logits[:, -1].argmax(-1, keepdim=True)

        self.step = torch.compile(step, mode="reduce-overhead", fullgraph=True, dynamic=False)

    def cache(self, batch):
        if batch not in self.caches:
            self.caches[batch] = self.StaticCache(config=self.model.config, max_cache_len=self.max_len)
        return self.caches[batch]

    @torch.no_grad()
    def decode(self, prompts, steps):
        b, p = prompts.shape
        cache = self.cache(b)
        cache.reset()
        ids = torch.from_numpy(prompts).cuda()
        out = self.model(input_ids=ids, cache_position=torch.arange(p, device="cuda"),
                         past_key_values=cache, use_cache=True, logits_to_keep=1)
        tok = out.logits[:, -1].argmax(-1, keepdim=True)
        positions = [torch.tensor([p + i], device="cuda") for i in range(steps)]
        toks = []
        sync()
        t0 = time.perf_counter()
        for i in range(steps):
            tok = self.step(tok, positions[i], cache).clone()
            toks.append(tok)
        sync()
        seconds = time.perf_counter() - t0
        return seconds, torch.cat(toks, 1).cpu().numpy()


def copy_bandwidth():
    """Device-to-device copy of 1 GiB, bytes read + written, median of 20."""
    a = torch.empty(1 << 29, dtype=torch.float16, device="cuda").normal_()
    b = torch.empty_like(a)
    for _ in range(3):
        b.copy_(a)
    times = []
    for _ in range(20):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        b.copy_(a)
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e) / 1e3)
    del a, b
    return 2 * (1 << 30) / statistics.median(times) / 1e9


def prefix_agreement(a, b):
    """Per sequence, how many leading greedy tokens two systems share."""
    out = []
    for x, y in zip(a, b):
        n = 0
        while n < min(len(x), len(y)) and x[n] == y[n]:
            n += 1
        out.append(n)
    return out


def ncu_breakdown(args, vocab, prompt_len, steps, batch):
    """GPU kernel time of attnc's decode steps under ncu (one metric, no
    replay, caches kept warm between kernels as in a step: the weights do not
    fit L2 anyway, the small kernels' inputs do): steps are split at the
    embedding kernel that begins each one."""
    rng = np.random.default_rng(99)
    prompts = rng.integers(0, vocab, (batch, prompt_len))
    line = f"decode {steps} " + Attnc.ids(prompts)
    cmd = ["ncu", "--metrics", "gpu__time_duration.sum", "--csv", "--print-units", "base",
           "--clock-control", "none", "--cache-control", "none", args.harness, args.artifact, "1",
           str(args.kv_pages)]
    r = subprocess.run(cmd, input=line + "\nquit\n", capture_output=True, text=True,
                       timeout=args.ncu_timeout)
    rows = list(csv.reader(io.StringIO(
        "\n".join(x for x in r.stdout.splitlines() if x.startswith('"')))))
    head = rows[0]
    name_i, val_i = head.index("Kernel Name"), head.index("Metric Value")
    kernels = [(row[name_i], float(row[val_i].replace(",", ""))) for row in rows[1:]]
    starts = [i for i, (n, _) in enumerate(kernels) if "embedding" in n.lower()]
    per_step, by_name = [], {}
    for si, s in enumerate(starts):
        end = starts[si + 1] if si + 1 < len(starts) else len(kernels)
        per_step.append((end - s, sum(v for _, v in kernels[s:end]) / 1e6))  # ns -> ms
        if si >= 1:  # decode steps only (the first is the prefill)
            for n, v in kernels[s:end]:
                # "void attnrt::...<...>(...)" -> "attnrt::..." (templates,
                # arguments and anonymous namespaces dropped; the return type
                # would merge every kernel).
                key = (n.removeprefix("void ").replace("(anonymous namespace)::", "")
                       .replace("<unnamed>::", "").split("(")[0].split("<")[0][:60]) or n[:60]
                by_name[key] = by_name.get(key, 0) + v / 1e6
    decode = per_step[1:]
    return {"batch": batch, "prompt_len": prompt_len, "kernels_total": len(kernels),
            "steps_seen": len(per_step),
            "decode_kernels_per_step": statistics.median([k for k, _ in decode]) if decode else None,
            "decode_gpu_ms_per_step": statistics.median([t for _, t in decode]) if decode else None,
            "decode_gpu_ms_by_kernel_per_step": {k: v / max(1, len(decode)) for k, v in
                                                 sorted(by_name.items(), key=lambda kv: -kv[1])[:20]},
            "harness_stdout_tail": [l for l in r.stdout.splitlines() if l.startswith("{")][-1:]}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", help="export dir (stateless.onnx); recorded only")
    p.add_argument("--artifact", help="packed attnc CUDA artifact (needed with attnc)")
    p.add_argument("--harness", help="attnc_bench executable (needed with attnc)")
    p.add_argument("--preset", default="tinyllama-1.1b")
    p.add_argument("--json", required=True)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--prefill", default="512,2048")
    p.add_argument("--decode-batches", default="1,16")
    p.add_argument("--decode-prompt", type=int, default=128)
    p.add_argument("--decode-tokens", type=int, default=128)
    p.add_argument("--kv-pages", type=int, default=1024)
    p.add_argument("--systems", default="attnc,attnc-nograph,hf,compiled")
    p.add_argument("--ncu", action="store_true", help="kernel-time breakdown of attnc decode")
    p.add_argument("--ncu-timeout", type=int, default=150)
    args = p.parse_args()
    systems = args.systems.split(",")
    t_start = time.time()

    model = build_model(impl="sdpa", preset=args.preset)
    cfg = model.config
    params = sum(x.numel() for x in model.parameters())
    emb = cfg.vocab_size * cfg.hidden_size
    log(f"model built ({params / 1e9:.3f} B parameters) at {time.time() - t_start:.0f} s")

    # Prompt logits: f32 model on the GPU is the reference.
    rng = np.random.default_rng(7)
    check_prompt = rng.integers(0, cfg.vocab_size, 32)
    model.config.use_cache = True
    model.cuda()
    with torch.no_grad():
        ids = torch.from_numpy(check_prompt).cuda()[None]
        ref = model(input_ids=ids).logits[0].double().cpu().numpy()
        model.half()
        hf16 = model(input_ids=ids).logits[0].double().cpu().numpy()
    torch.cuda.empty_cache()

    bandwidth = copy_bandwidth()
    weight_bytes = params * 2
    roofline = bandwidth * 1e9 / weight_bytes
    log(f"copy bandwidth {bandwidth:.0f} GB/s; batch-1 roofline {roofline:.0f} tok/s")

    attnc = Attnc(args.harness, args.artifact, args.kv_pages) if "attnc" in systems else None
    checks = {}

    def logit_stats(got):
        top2 = np.sort(ref, -1)[:, -2:]
        return {"max_abs_diff": float(np.abs(got - ref).max()),
                "rel_l2": float(np.linalg.norm(got - ref) / np.linalg.norm(ref)),
                "argmax_equal_positions": int((got.argmax(-1) == ref.argmax(-1)).sum()),
                "positions": len(check_prompt), "max_abs_logit": float(np.abs(ref).max()),
                "min_top2_margin": float((top2[:, 1] - top2[:, 0]).min())}

    checks["hf_f16_vs_f32"] = logit_stats(hf16)
    if attnc:
        log(f"attnc engine: {attnc.info}")
        checks["attnc_f16_vs_f32"] = logit_stats(attnc.logits(check_prompt, cfg.vocab_size).astype(np.float64))
    log(f"logit checks: {checks}")

    engines = {}
    if attnc:
        engines["attnc"] = attnc
    if "attnc-nograph" in systems:
        engines["attnc-nograph"] = Attnc(args.harness, args.artifact, args.kv_pages, graphs=False)
    if "hf" in systems:
        engines["hf"] = HfEager(model)
    compile_s = {}
    if "compiled" in systems:
        max_len = args.decode_prompt + args.decode_tokens + 16
        engines["compiled"] = Compiled(model, max_len)
        for b in [int(x) for x in args.decode_batches.split(",") if x]:
            t0 = time.time()
            prompts = rng.integers(0, cfg.vocab_size, (b, args.decode_prompt))
            for _ in range(3):  # compile, record the graph, replay
                engines["compiled"].decode(prompts, 4)
            compile_s[b] = time.time() - t0
            log(f"compiled decode batch {b}: {compile_s[b]:.0f} s to compile and capture")

    configs = [("prefill", int(n), 1) for n in args.prefill.split(",") if n]
    configs += [("decode", args.decode_prompt, int(b)) for b in args.decode_batches.split(",") if b]
    # The compiled baseline has no prefill of its own (it prefills eagerly);
    # graphs are for decode steps only.
    runs = {c: [s for s in engines if c[0] == "decode" or s not in ("compiled", "attnc-nograph")]
            for c in configs}
    times = {c: {s: [] for s in runs[c]} for c in configs}
    tokens = {c: {s: [] for s in runs[c]} for c in configs}
    step_ms = {c: [] for c in configs}
    for rep in range(args.reps + 1):  # rep 0 is the warm-up
        for ci, (kind, length, batch) in enumerate(configs):
            r = np.random.default_rng(1000 * rep + ci)
            prompts = r.integers(0, cfg.vocab_size, (batch, length))
            names = runs[(kind, length, batch)]
            k = rep % len(names)
            order = names[k:] + names[:k]
            line = []
            for s in order:
                e = engines[s]
                if kind == "prefill":
                    res = e.prefill(prompts)
                else:
                    res = e.decode(prompts, args.decode_tokens)
                if s == "attnc" and kind == "decode" and rep > 0:  # graphs on
                    step_ms[(kind, length, batch)] += res[2]["step_ms"]
                if rep > 0:
                    times[(kind, length, batch)][s].append(res[0])
                tokens[(kind, length, batch)][s].append(np.asarray(res[1]).tolist())
                line.append(f"{s} {res[0] * 1e3:.1f} ms")
            log(f"rep {rep} {kind} {length} b{batch}: " + ", ".join(line))
    for s in ("attnc", "attnc-nograph"):
        if s in engines:
            engines[s].close()

    results = []
    for (kind, length, batch), t in times.items():
        n_tok = length if kind == "prefill" else batch * args.decode_tokens
        r = {"kind": kind, "prompt_len": length, "batch": batch, "tokens_per_rep": n_tok,
             "name": (f"prefill {length}" if kind == "prefill" else f"decode batch {batch}")}
        for s, sec in t.items():
            tps = [n_tok / x for x in sec]
            r[s] = {"median_tok_s": statistics.median(tps), "tok_s": tps, "seconds": sec,
                    "spread": (max(tps) - min(tps)) / statistics.median(tps)}
            if kind == "decode":
                r[s]["ms_per_step"] = statistics.median(sec) / args.decode_tokens * 1e3
        if kind == "decode" and batch == 1:
            for s in t:
                r[s]["roofline_fraction"] = r[s]["median_tok_s"] / roofline
        if step_ms[(kind, length, batch)]:
            ms = sorted(step_ms[(kind, length, batch)])
            r["attnc"]["step_ms_min_median_p90"] = [ms[0], ms[len(ms) // 2], ms[int(len(ms) * 0.9)]]
        # Agreement against HF eager (the reference implementation).
        toks = tokens[(kind, length, batch)]
        # A digest of each system's tokens over all reps: runs of one artifact
        # under different runtime settings must produce the same one.
        for s in toks:
            if s in r:
                digest = hashlib.sha1()
                for a in toks[s]:
                    digest.update(np.ascontiguousarray(np.asarray(a, dtype=np.int64)).tobytes())
                r[s]["tokens_sha1"] = digest.hexdigest()
        agree = {}
        if "hf" in toks:
            for s in toks:
                if s == "hf":
                    continue
                if kind == "prefill":
                    same = [int(np.array_equal(a, b)) for a, b in zip(toks[s], toks["hf"])]
                    agree[s] = {"reps_equal": sum(same), "reps": len(same)}
                else:
                    pref = sum((prefix_agreement(a, b) for a, b in zip(toks[s], toks["hf"])), [])
                    agree[s] = {"sequences": len(pref),
                                "identical": sum(x == args.decode_tokens for x in pref),
                                "first_token_equal": sum(x >= 1 for x in pref),
                                "median_common_prefix": statistics.median(pref)}
        r["agreement_vs_hf"] = agree
        results.append(r)

    ncu = None
    if args.ncu and attnc:
        try:
            ncu = [ncu_breakdown(args, cfg.vocab_size, args.decode_prompt, 8, b)
                   for b in (1,)]
        except Exception as e:  # the breakdown is optional
            ncu = {"error": repr(e)}
        log(f"ncu: {ncu}")

    props = torch.cuda.get_device_properties(0)
    out = {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(shlex.quote(a) for a in ["python3"] + sys.argv),
        # The runtime's switches in effect (ATTNC_OVERLAP_STEPS, ATTNC_CUDA_PDL, ...).
        "attnc_environment": {k: v for k, v in sorted(os.environ.items())
                              if k.startswith("ATTNC_")},
        "gpu": {"name": props.name, "sm_count": props.multi_processor_count,
                "memory_GiB": round(props.total_memory / 2**30, 1),
                "driver": subprocess.run(["nvidia-smi", "--query-gpu=driver_version",
                                          "--format=csv,noheader"], capture_output=True,
                                         text=True).stdout.strip()},
        "torch": torch.__version__, "transformers": __import__("transformers").__version__,
        "preset": args.preset,
        "model": {"parameters": params, "embedding_parameters": emb, "layers": cfg.num_hidden_layers,
                  "hidden": cfg.hidden_size, "heads": cfg.num_attention_heads,
                  "kv_heads": cfg.num_key_value_heads, "intermediate": cfg.intermediate_size,
                  "vocab": cfg.vocab_size, "dtype": "float16"},
        "attnc_engine": attnc.info if attnc else None,
        "attnc_step_times_us": attnc.step_times if attnc else None,
        "copy_bandwidth_GBps": bandwidth,
        "weight_bytes_f16": weight_bytes,
        "roofline_b1_tok_s": roofline,
        "roofline_b1_tok_s_without_embedding": bandwidth * 1e9 / (2 * (params - emb)),
        "compile_seconds": compile_s,
        "reps": args.reps, "decode_prompt": args.decode_prompt,
        "decode_tokens": args.decode_tokens,
        "logit_checks": checks,
        "results": results,
        "ncu_attnc_decode": ncu,
        "wall_seconds": time.time() - t_start,
    }
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")

    print(f"{props.name}: copy {bandwidth:.0f} GB/s, b1 roofline {roofline:.0f} tok/s")
    names = list(engines)
    print(f"{'benchmark':18}" + "".join(f"{s + ' tok/s':>18}" for s in names))
    for r in results:
        print(f"{r['name']:18}" + "".join(
            f"{r[s]['median_tok_s']:18.1f}" if s in r else f"{'-':>18}" for s in names)
            + "  " + json.dumps(r["agreement_vs_hf"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
