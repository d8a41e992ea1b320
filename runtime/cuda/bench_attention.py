#!/usr/bin/env python3
"""Benchmark of runtime/cuda paged attention against PyTorch SDPA (flash and
cuDNN backends), same process, same card, medians of CUDA-event timings.

  prefill: dtypes f16 and bf16, head dim 128 and 64, 32 query heads over 8 and
           over 32 kv heads, B * S = 16384 tokens, S = 1k, 2k, 4k, 8k, 16k,
           causal and not (80 rows); ours reads a paged cache (page size 16 by
           default, shuffled pages), SDPA reads dense [B, H, S, D].
           TFLOP/s = 4 * B * S^2 * H * D (/ 2 when causal) / time. Each row is
           checked against SDPA (default backend) as a relative l2 error.
  decode:  f16, hd 128, 32/8 heads, one query token per sequence,
           B = 1, 4, 8, 16, 32, 64, context 1k, 4k, 16k, 32k (24 rows); TB/s =
           K + V bytes read / time. Inputs rotate over enough copies to exceed
           the 50 MB L2. Device-to-device copy bandwidth (read + write) is the
           ceiling; the summary gives ours / copy for B >= 8, L >= 4096.
           --kv-types model,int8,fp8 adds rows over quantized caches
           (runtime/QuantizedKV.h: codes + f32 scales, kv_bytes = what they
           read), with tokens/s and the speedup over the model-dtype row of
           the same B and L; their error is against SDPA on the unquantized
           K/V (so it includes the quantization error).
  A row that runs out of device memory is recorded with "skipped" (the reason)
  instead of ending the run; a baseline that fails gets "<name>_error".

Timing: every call is captured in a CUDA graph and replayed; median of
--samples (15) samples of >= --min-sample-ms (2 ms) each, as before the matrix
grew: it fits the time without cutting them. The full matrix is 80 x 3
prefill and 24 x 3 decode timings of ~20 executions of max(2 ms, one call)
each; estimated 1-2 minutes on an H100 (the S=8k/16k prefill rows, ~9-18 ms a
call, and building the 8.6 GB B=64 L=32k decode inputs dominate), plus the
library build when ATTNC_CUDA_LIB is unset.

Usage: bench_attention.py [--quick] [--page-size 16] [--out results.json]
         [--dtypes f16,bf16] [--head-dims 128,64] [--kv-heads 8,32]
         [--seqlens 1024,2048,4096,8192,16384] [--causal 1,0]
         [--decode-batches 1,4,8,16,32,64] [--decode-contexts 1024,4096,16384,32768]
         [--prefill-only | --decode-only] [--no-baselines] [--kv-types model,int8,fp8]
         [--samples 15] [--min-sample-ms 2.0]
--quick: f16, hd 128, 32/8, S=1024; decode B=1,32 at L=4096 (explicit axis
flags still win).
"""
import argparse
import gc
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attnc_cuda  # noqa: E402

H = 32  # query heads, all rows
TOKENS = 16384  # prefill B * S
DTYPES = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32}
DECODE_DTYPE, DECODE_HD, DECODE_KVH = "f16", 128, 8
COPY_TARGET = 0.75  # decode target: fraction of copy bandwidth at B >= 8, L >= 4096

# Axis defaults: (full matrix, --quick).
AXES = {
    "dtypes": ("f16,bf16", "f16"),
    "head_dims": ("128,64", "128"),
    "kv_heads": ("8,32", "8"),
    "seqlens": ("1024,2048,4096,8192,16384", "1024"),
    "causal": ("1,0", "1,0"),
    "decode_batches": ("1,4,8,16,32,64", "1,32"),
    "decode_contexts": ("1024,4096,16384,32768", "4096"),
}
TIMING = {"samples": 15, "min_sample_ms": 2.0}


def time_ms(fns, min_sample_ms=None, samples=None, graph=True):
    """Median ms per call; calls rotate over fns (different input copies).
    Calls are captured in a CUDA graph (so host launch overhead stays out of
    short decode timings) and the graph replayed; eager timing if capture fails.
    Out-of-memory is raised, not retried eagerly (it would fail again)."""
    min_sample_ms = TIMING["min_sample_ms"] if min_sample_ms is None else min_sample_ms
    samples = TIMING["samples"] if samples is None else samples
    for f in fns:
        f()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    for i in range(3 * len(fns)):
        fns[i % len(fns)]()
    e.record()
    torch.cuda.synchronize()
    est = s.elapsed_time(e) / (3 * len(fns))
    inner = max(1, min(400, int(min_sample_ms / max(est, 1e-3))))
    inner = (inner + len(fns) - 1) // len(fns) * len(fns)
    try:
        if not graph:
            raise RuntimeError("graph capture not requested")
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            for i in range(inner):
                fns[i % len(fns)]()
        run = g.replay
        calls = inner
        mode = "graph"
    except torch.cuda.OutOfMemoryError:
        raise
    except Exception as exc:  # not capturable: time eager launches
        if graph:
            print(f"    (graph capture failed: {str(exc).splitlines()[0][:120]}; eager timing)")
        torch.cuda.synchronize()
        run = lambda: [fns[i % len(fns)]() for i in range(inner)]
        calls = inner
        mode = "eager"
    run()
    torch.cuda.synchronize()
    times = []
    for _ in range(samples):
        s.record()
        run()
        e.record()
        torch.cuda.synchronize()
        times.append(s.elapsed_time(e) / calls)
    time_ms.mode = mode
    return statistics.median(times)


def paged_cache(B, L, page_size, kvh, hd, dtype, gen):
    """Random K/V of B sequences of L tokens in shuffled pages."""
    pages_per_seq = math.ceil(L / page_size)
    num_pages = B * pages_per_seq
    perm = torch.randperm(num_pages, generator=gen).int()
    table = perm.view(B, pages_per_seq).cuda()
    cache = torch.randn(num_pages, 2, page_size, kvh, hd, device="cuda", dtype=dtype)
    return cache, table, pages_per_seq


def dense_from_paged(cache, table, L):
    """Dense [B, KVH, L, D] K and V of the same values; K and V gathered one at a
    time so the peak is one extra K-sized buffer (matters at 8.6 GB caches)."""
    B, pps = table.shape
    page_size, kvh, hd = cache.shape[2:]
    idx = table.long()
    out = []
    for j in (0, 1):
        blocks = cache[:, j][idx]  # [B, pps, P, KVH, D]
        out.append(blocks.view(B, pps * page_size, kvh, hd)[:, :L].transpose(1, 2).contiguous())
        del blocks
    return out


def sdpa_fn(backend, q, k, v, causal):
    def f():
        with sdpa_kernel(backend):
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)
    try:
        f()
        torch.cuda.synchronize()
        return f, None
    except Exception as exc:  # backend refused these inputs (or ran out of memory)
        return None, str(exc).splitlines()[0][:200]


def time_baselines(row, backends, fns_of, unit, work):
    """Times each SDPA backend into row: <name>_<unit>, its rate and ours vs it.
    fns_of(backend) -> (list of callables, None) or (None, error)."""
    for name, be in backends:
        fns, err = fns_of(be)
        if fns is None:
            row[f"{name}_error"] = err
            continue
        try:
            t = time_ms(fns)
        except torch.cuda.OutOfMemoryError as exc:
            row[f"{name}_error"] = "out of memory: " + str(exc).splitlines()[0][:160]
            t = None
        del fns
        if t is None:
            torch.cuda.empty_cache()
            continue
        if unit == "ms":  # prefill: TFLOP/s, ratio of rates
            row[f"{name}_ms"] = t
            row[f"{name}_tflops"] = work / t / 1e9
            row[f"ratio_vs_{name}"] = row["ours_tflops"] / row[f"{name}_tflops"]
        else:  # decode: TB/s, ratio of times (> 1: ours faster)
            row[f"{name}_us"] = t * 1e3
            row[f"{name}_tb_s"] = work / row[f"{name}_us"] / 1e6
            row[f"ratio_vs_{name}"] = row[f"{name}_us"] / row["ours_us"]


def prefill_rows(lib, a, dt, hd, kvh, S, backends, gen, rows):
    """Rows of one (dtype, hd, kv heads, S), causal and not, sharing inputs;
    appended to rows as they finish."""
    dtype = DTYPES[dt]
    B = max(1, TOKENS // S)
    cache, table, pps = paged_cache(B, S, a.page_size, kvh, hd, dtype, gen)
    k, v = dense_from_paged(cache, table, S)
    q = torch.randn(B, H, S, hd, device="cuda", dtype=dtype)
    q_tok = q.transpose(1, 2).contiguous().view(B * S, H, hd)
    out = torch.empty_like(q_tok)
    positions = torch.arange(S, dtype=torch.int32).repeat(B)
    qs = [b * S for b in range(B + 1)]
    ctx = [S] * B
    d_pos, d_ctx = positions.cuda(), torch.tensor(ctx, dtype=torch.int32, device="cuda")
    for causal in a.causal:
        plan = attnc_cuda.Plan(lib, dtype, hd, kvh, H // kvh, a.page_size, causal, 0, qs, ctx,
                               positions.tolist())
        ours = lambda: plan.run(q_tok, out, d_pos, d_ctx, table, pps, cache.data_ptr(),
                                1 / math.sqrt(hd))
        flops = 4 * B * S * S * H * hd * (0.5 if causal else 1.0)
        row = {"dtype": dt, "head_dim": hd, "kv_heads": kvh, "heads": H, "S": S, "B": B,
               "causal": causal}
        row["ours_ms"] = time_ms([ours])
        row["timing"] = time_ms.mode
        row["ours_tflops"] = flops / row["ours_ms"] / 1e9
        ref = F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)
        ours()
        torch.cuda.synchronize()
        row["ours_vs_sdpa_rel_err"] = float(
            (out.view(B, S, H, hd).transpose(1, 2).float() - ref.float()).norm() / ref.float().norm())
        del ref

        def fns_of(be, causal=causal):
            f, err = sdpa_fn(be, q, k, v, causal)
            return ([f] if f else None), err
        time_baselines(row, backends, fns_of, "ms", flops)
        rows.append(row)
        print("  S=%5d B=%2d causal=%d ours %.1f | flash %s | cudnn %s | rel err %.1e" % (
            S, B, causal, row["ours_tflops"],
            "%.1f (x%.2f)" % (row["flash_tflops"], row["ratio_vs_flash"]) if "flash_tflops" in row else row.get("flash_error"),
            "%.1f (x%.2f)" % (row["cudnn_tflops"], row["ratio_vs_cudnn"]) if "cudnn_tflops" in row else row.get("cudnn_error"),
            row["ours_vs_sdpa_rel_err"]))
        del plan, ours


KV_TYPES = {"model": attnc_cuda.KV_MODEL, "int8": attnc_cuda.KV_INT8, "fp8": attnc_cuda.KV_FP8}


def decode_row(lib, a, B, L, backends, copy_tb_s, kv="model"):
    dtype, hd, kvh = DTYPES[DECODE_DTYPE], DECODE_HD, DECODE_KVH
    kv_type = KV_TYPES[kv]
    elem = torch.tensor([], dtype=dtype).element_size()
    kv_bytes = B * L * kvh * hd * 2 * elem if kv_type == attnc_cuda.KV_MODEL else \
        B * L * kvh * (2 * hd + 8)
    copies = max(1, math.ceil(256e6 / kv_bytes))
    caches, denses = [], []
    for i in range(copies):
        cache, table, pps = paged_cache(B, L, a.page_size, kvh, hd, dtype,
                                        torch.Generator().manual_seed(1))
        if kv_type == attnc_cuda.KV_MODEL or i == copies - 1:  # the reference: the last copy
            denses.append(dense_from_paged(cache, table, L))
        if kv_type != attnc_cuda.KV_MODEL:
            cache = attnc_cuda.pack_quantized(cache, kv_type, dequantized=False)[0]
        caches.append(cache)
    if kv_type != attnc_cuda.KV_MODEL:
        backends = []  # SDPA reads no quantized cache: the model rows have the baselines
    q = torch.randn(B, H, 1, hd, device="cuda", dtype=dtype)
    q_tok = q.view(B, H, hd)
    out = torch.empty_like(q_tok)
    positions = [L - 1] * B
    qs, ctx = list(range(B + 1)), [L] * B
    d_pos = torch.tensor(positions, dtype=torch.int32, device="cuda")
    d_ctx = torch.tensor(ctx, dtype=torch.int32, device="cuda")
    plan = attnc_cuda.Plan(lib, dtype, hd, kvh, H // kvh, a.page_size, True, 0, qs, ctx, positions,
                           kv_type=kv_type)
    ours = [lambda c=c: plan.run(q_tok, out, d_pos, d_ctx, table, pps, c.data_ptr(),
                                 1 / math.sqrt(hd)) for c in caches]
    row = {"dtype": DECODE_DTYPE, "head_dim": hd, "kv_heads": kvh, "heads": H, "kv": kv,
           "B": B, "L": L, "kv_bytes": kv_bytes, "copies": copies,
           "split_tokens": plan.split_tokens, "split_groups": plan.split_groups,
           "items": plan.decode_items + plan.prefill_items}
    row["ours_us"] = time_ms(ours) * 1e3
    row["timing"] = time_ms.mode
    row["ours_tb_s"] = kv_bytes / row["ours_us"] / 1e6
    row["ours_tokens_s"] = B / row["ours_us"] * 1e6  # one query token per sequence
    ref = F.scaled_dot_product_attention(q, *denses[-1], enable_gqa=True)
    ours[-1]()
    torch.cuda.synchronize()
    row["ours_vs_sdpa_rel_err"] = float((out.float() - ref.view(B, H, hd).float()).norm() / ref.float().norm())
    del ref

    def fns_of(be):
        fns = []
        for kd, vd in denses:
            f, err = sdpa_fn(be, q, kd, vd, False)
            if f is None:
                return None, err
            fns.append(f)
        return fns, None
    time_baselines(row, backends, fns_of, "us", kv_bytes)
    row["ours_frac_of_copy"] = row["ours_tb_s"] / copy_tb_s
    return row


def oom_reason(exc):
    return "out of memory: " + str(exc).splitlines()[0][:200]


def free():
    gc.collect()  # lambdas and plans of an aborted row
    torch.cuda.empty_cache()


def spread(vals):
    return {"min": min(vals), "median": statistics.median(vals), "max": max(vals), "n": len(vals)}


def summarize(res):
    """Prefill: ours / baseline per (dtype, hd, kv heads). Decode: ours / copy
    where the issue sets its target (B >= 8, L >= 4096)."""
    summ = {"prefill": [], "decode": None}
    groups = {}
    for r in res["prefill"]:
        if "skipped" not in r:
            groups.setdefault((r["dtype"], r["head_dim"], r["kv_heads"]), []).append(r)
    if groups:
        print("\nprefill ours / SDPA (TFLOP/s ratio; min / median / max over S and causal):")
    for (dt, hd, kvh), rs in groups.items():
        ent = {"dtype": dt, "head_dim": hd, "kv_heads": kvh, "rows": len(rs)}
        parts = []
        for name in ("flash", "cudnn"):
            vals = [r[f"ratio_vs_{name}"] for r in rs if f"ratio_vs_{name}" in r]
            if vals:
                ent[f"ratio_vs_{name}"] = spread(vals)
                parts.append("%s %.2f / %.2f / %.2f" % (name, min(vals), statistics.median(vals),
                                                       max(vals)))
            else:
                parts.append(f"{name} -")
        summ["prefill"].append(ent)
        print("  %-4s hd%-3d %d/%-2d (%2d rows): %s" % (dt, hd, H, kvh, len(rs), " | ".join(parts)))
    target = [r for r in res["decode"] if "skipped" not in r and r.get("kv", "model") == "model"
              and r["B"] >= 8 and r["L"] >= 4096]
    if target:
        fr = [r["ours_frac_of_copy"] for r in target]
        below = [(r["B"], r["L"], r["ours_frac_of_copy"]) for r in target
                 if r["ours_frac_of_copy"] < COPY_TARGET]
        summ["decode"] = dict(spread(fr), target=COPY_TARGET, below_target=below)
        print("\ndecode ours / copy (%.2f TB/s) at B >= 8, L >= 4096: min %.0f%% median %.0f%% max %.0f%% "
              "over %d rows; %d below the %.0f%% target%s" % (
                  res["copy_tb_s"], 100 * min(fr), 100 * statistics.median(fr), 100 * max(fr),
                  len(fr), len(below), 100 * COPY_TARGET,
                  "" if not below else ": " + ", ".join("B=%d L=%d %.0f%%" % (b, l, 100 * f)
                                                       for b, l, f in below)))
    for kv in ("int8", "fp8"):
        rs = [r for r in res["decode"] if r.get("kv") == kv and "speedup_vs_model" in r]
        if rs:
            summ[f"decode_{kv}_speedup"] = spread([r["speedup_vs_model"] for r in rs])
            print("decode %s cache / model-dtype cache (time ratio): min %.2f median %.2f max %.2f"
                  " over %d rows" % (kv, *[summ[f"decode_{kv}_speedup"][k]
                                          for k in ("min", "median", "max", "n")]))
    skipped = [r for r in res["prefill"] + res["decode"] if "skipped" in r]
    for r in skipped:
        print("  skipped %s: %s" % ({k: v for k, v in r.items() if k != "skipped"}, r["skipped"]))
    return summ


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--page-size", type=int, default=16)
    ap.add_argument("--out", default=os.path.join(os.environ.get("OUT", "."), "cuda_attention_bench.json"))
    ap.add_argument("--quick", action="store_true", help="tiny smoke run (axis flags still win)")
    ap.add_argument("--prefill-only", action="store_true")
    ap.add_argument("--decode-only", action="store_true")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--dtypes", help="prefill dtypes, of f16,bf16,f32 (default f16,bf16)")
    ap.add_argument("--head-dims", help="prefill head dims (default 128,64)")
    ap.add_argument("--kv-heads", help="prefill kv heads, dividing 32 (default 8,32)")
    ap.add_argument("--seqlens", help="prefill S; B = 16384 // S (default 1024,...,16384)")
    ap.add_argument("--causal", help="prefill masks, 1 causal 0 not (default 1,0)")
    ap.add_argument("--decode-batches", help="decode B (default 1,4,8,16,32,64)")
    ap.add_argument("--decode-contexts", help="decode L (default 1024,4096,16384,32768)")
    ap.add_argument("--kv-types", default="model",
                    help="decode caches, of model,int8,fp8 (default model)")
    ap.add_argument("--samples", type=int, default=TIMING["samples"])
    ap.add_argument("--min-sample-ms", type=float, default=TIMING["min_sample_ms"])
    a = ap.parse_args()
    for axis, (full, quick) in AXES.items():
        spec = getattr(a, axis) or (quick if a.quick else full)
        vals = [x.strip() for x in spec.split(",") if x.strip()]
        if axis == "dtypes":
            bad = [x for x in vals if x not in DTYPES]
            if bad:
                ap.error(f"--dtypes: unknown {bad}; known {sorted(DTYPES)}")
        elif axis == "causal":
            vals = [bool(int(x)) for x in vals]
        else:
            vals = [int(x) for x in vals]
        setattr(a, axis, vals)
    if any(H % k for k in a.kv_heads):
        ap.error(f"--kv-heads must divide {H}")
    TIMING.update(samples=a.samples, min_sample_ms=a.min_sample_ms)

    t0 = time.time()
    lib = attnc_cuda.load_library()
    gen = torch.Generator().manual_seed(0)
    props = torch.cuda.get_device_properties(0)
    res = {"card": props.name, "sms": props.multi_processor_count,
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "torch": torch.__version__,
           "page_size": a.page_size, "command": " ".join(sys.argv),
           "samples": a.samples, "min_sample_ms": a.min_sample_ms,
           "axes": {axis: getattr(a, axis) for axis in AXES}, "prefill": [], "decode": []}

    def save():  # after every group, so a crash keeps what was measured
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)

    # Ceiling: device-to-device copy, bytes read + written.
    x = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    y = torch.empty_like(x)
    # Eager: a captured copy becomes a graph memcpy node (copy engine, slower).
    ms = time_ms([lambda: y.copy_(x)], graph=False)
    res["copy_tb_s"] = 2 * x.numel() / ms / 1e9
    del x, y
    torch.cuda.empty_cache()
    print(f"{props.name}: copy {res['copy_tb_s']:.2f} TB/s")

    backends = [("flash", SDPBackend.FLASH_ATTENTION), ("cudnn", SDPBackend.CUDNN_ATTENTION)]
    if a.no_baselines:
        backends = []
    if not a.decode_only:
        for dt in a.dtypes:
            for hd in a.head_dims:
                for kvh in a.kv_heads:
                    print(f"\nprefill {dt} hd{hd} {H}/{kvh} heads, page {a.page_size}: TFLOP/s")
                    for S in a.seqlens:
                        done = len(res["prefill"])
                        try:
                            prefill_rows(lib, a, dt, hd, kvh, S, backends, gen, res["prefill"])
                            reason = None
                        except torch.cuda.OutOfMemoryError as exc:
                            reason = oom_reason(exc)
                        if reason:
                            finished = {r["causal"] for r in res["prefill"][done:]}
                            for causal in a.causal:
                                if causal not in finished:
                                    res["prefill"].append({
                                        "dtype": dt, "head_dim": hd, "kv_heads": kvh, "heads": H,
                                        "S": S, "B": max(1, TOKENS // S), "causal": causal,
                                        "skipped": reason})
                                    print(f"  S={S:5d} causal={int(causal)} skipped: {reason}")
                        free()
                    save()

    batches = [] if a.prefill_only else a.decode_batches
    if batches:
        print(f"\ndecode {DECODE_DTYPE} hd{DECODE_HD} {H}/{DECODE_KVH} heads, page {a.page_size}: "
              "TB/s of K+V (us)")
    kv_types = [k.strip() for k in a.kv_types.split(",") if k.strip()]
    if any(k not in KV_TYPES for k in kv_types):
        ap.error(f"--kv-types: of {sorted(KV_TYPES)}")
    for B in batches:
        for L in a.decode_contexts:
            for kv in kv_types:
                try:
                    row = decode_row(lib, a, B, L, backends, res["copy_tb_s"], kv)
                except torch.cuda.OutOfMemoryError as exc:
                    row = {"dtype": DECODE_DTYPE, "head_dim": DECODE_HD, "kv_heads": DECODE_KVH,
                           "heads": H, "kv": kv, "B": B, "L": L, "skipped": oom_reason(exc)}
                free()
                base = [r for r in res["decode"] if r.get("kv") == "model" and r["B"] == B and
                        r["L"] == L and "ours_us" in r]
                if kv != "model" and base and "ours_us" in row:
                    row["speedup_vs_model"] = base[0]["ours_us"] / row["ours_us"]
                res["decode"].append(row)
                if "skipped" in row:
                    print(f"  B={B:2d} L={L:5d} {kv} skipped: {row['skipped']}")
                    continue
                print("  B=%2d L=%5d %-5s ours %.2f (%.1f us, %.0f tok/s, x%.2f, split %d x%d) | flash %s | cudnn %s | %.0f%% of copy | err %.1e" % (
                    B, L, kv, row["ours_tb_s"], row["ours_us"], row["ours_tokens_s"],
                    row.get("speedup_vs_model", 1.0), row["split_tokens"], row["split_groups"],
                    "%.2f (%.1f us)" % (row["flash_tb_s"], row["flash_us"]) if "flash_us" in row else row.get("flash_error"),
                    "%.2f (%.1f us)" % (row["cudnn_tb_s"], row["cudnn_us"]) if "cudnn_us" in row else row.get("cudnn_error"),
                    100 * row["ours_frac_of_copy"], row["ours_vs_sdpa_rel_err"]))
        save()

    res["summary"] = summarize(res)
    res["elapsed_s"] = time.time() - t0
    save()
    print(f"\nwrote {a.out} ({res['elapsed_s']:.0f} s)")


if __name__ == "__main__":
    main()
