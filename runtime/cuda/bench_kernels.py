#!/usr/bin/env python3
"""Benchmark of the runtime/cuda step kernels (StepKernels.h), same process,
same card, medians of CUDA-event timings of CUDA-graph replays (timing helper
of bench_attention.py).

  memory-bound kernels, hidden 2048 (1.1B Llama: 32 / 4 heads of 64,
  intermediate 5632, vocab 32000), T = 1 and 2048, f16: achieved GB/s = the
  fewest bytes the kernel must move (each input read once, each output
  written once) / time, against the measured device-to-device copy bandwidth
  (read + write) and against a torch elementwise kernel (x * 1) moving the
  same bytes, timed the same way (the practical floor of one launch at that
  size); PyTorch equivalents timed the same way for reference (those that
  allocate their output reuse one hot buffer, which favours them).
  Inputs rotate over copies so that T = 2048 runs exceed the 50 MB L2.
  linear: cuBLASLt (ours) vs torch.matmul(x, W.t()) on the 1.1B Llama shapes
  K x N = 2048x2048, 2048x5632, 5632x2048, 2048x32000 at T = 1, 16, 2048,
  bf16 and f16; TFLOP/s = 2 T K N / time; weights rotate past L2
  (attnc_cuda_linear with its default GEMV dispatch).
  gemv: decode linears of the 1.1B shapes at T = 1 and 8, f16 and bf16: GB/s
  of weight bytes for cuBLASLt (GEMV dispatch off), attnc_cuda_gemv, and
  attnc_cuda_quantized_linear w8, w4g128, w4g32a (values + scales + zero
  points), against the copy bandwidth, and at T = 1 against a copy moving
  each format's bytes (the copy bandwidth at the model's shapes).
  prefill: the same shapes but the lm_head at T = 128, 512, 2048 (or
  --prefill-tokens): TFLOP/s of cuBLASLt against the quantized linears, and
  the floor of dequantizing the weights per call in front of cuBLASLt. Which
  path the quantized linears take follows ATTNC_CUDA_DEQUANT_GEMM_TOKENS as
  in the runtime: run twice (0, then 9) to find where the dequantize +
  cuBLASLt path overtakes the tensor-core kernel.
Usage: bench_kernels.py [--out results.json] [--section all|memory|linear|gemv|prefill]
       [--gemv-dtype f16|bf16|both] [--prefill-tokens 16,32,64]
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attnc_cuda  # noqa: E402
from bench_attention import time_ms  # noqa: E402

HID, H, KVH, HD, INTER, VOCAB = 2048, 32, 4, 64, 5632, 32000


def copies_for(nbytes, target=160e6, cap=16):
    return max(2, min(cap, math.ceil(target / max(nbytes, 1))))


def bench_memory(lib, dtype, T, copy_gbs):
    rows = []
    dev = "cuda"
    w = (1 + 0.1 * torch.randn(HID, device=dev)).float()
    bias = 0.1 * torch.randn(HID, device=dev)
    w16, b16 = w.to(dtype), bias.to(dtype)

    def add(name, nbytes, ours_fns, torch_fns=None):
        ms = time_ms(ours_fns)
        row = dict(kernel=name, T=T, dtype=str(dtype).split(".")[1], bytes=nbytes,
                   ours_us=ms * 1e3, ours_gb_s=nbytes / ms / 1e6)
        row["ours_frac_of_copy"] = row["ours_gb_s"] / copy_gbs
        # Same-size floor: a torch elementwise kernel (x * 1) reading and writing
        # the same number of bytes, timed the same way (launch + ramp included).
        m = max(8, nb // 4)  # f16 elements read (= written)
        cs = [(torch.randn(m, device=dev).to(dtype), torch.empty(m, device=dev, dtype=dtype))
              for _ in range(copies_for(nb))]
        row["same_bytes_copy_us"] = time_ms([lambda c=c: torch.mul(c[0], 1, out=c[1])
                                             for c in cs]) * 1e3
        row["ours_vs_same_bytes_copy"] = row["same_bytes_copy_us"] / row["ours_us"]
        del cs
        if torch_fns:
            tms = time_ms(torch_fns)
            row["torch_us"] = tms * 1e3
            row["ours_speedup_vs_torch"] = tms / ms
        rows.append(row)
        print("  %-16s T=%4d %8.2f us %7.0f GB/s (%3.0f%% of copy, same-bytes copy %6.2f us)%s" % (
            name, T, row["ours_us"], row["ours_gb_s"], 100 * row["ours_frac_of_copy"],
            row["same_bytes_copy_us"],
            "  torch %8.2f us (x%.2f)" % (row["torch_us"], row["ours_speedup_vs_torch"])
            if torch_fns else ""))

    # residual add + RMSNorm: read a, b; write residual, y
    nb = 4 * T * HID * 2 + HID * 4
    n = copies_for(nb)
    sets = [(torch.randn(T, HID, device=dev).to(dtype), torch.randn(T, HID, device=dev).to(dtype),
             torch.empty(T, HID, device=dev, dtype=dtype), torch.empty(T, HID, device=dev,
                                                                        dtype=dtype))
            for _ in range(n)]
    add("add_rms_norm", nb,
        [lambda s=s: attnc_cuda.residual_add_rms_norm(lib, s[0], s[1], w, 1e-5, s[2], s[3])
         for s in sets],
        [lambda s=s: F.rms_norm(torch.add(s[0], s[1], out=s[2]), (HID,), w16, 1e-5)
         for s in sets])
    nb = 2 * T * HID * 2 + HID * 4
    add("rms_norm", nb, [lambda s=s: attnc_cuda.rms_norm(lib, s[0], w, 1e-5, s[3]) for s in sets],
        [lambda s=s: F.rms_norm(s[0], (HID,), w16, 1e-5) for s in sets])
    nb = 2 * T * HID * 2 + 2 * HID * 4
    add("layer_norm", nb, [lambda s=s: attnc_cuda.layer_norm(lib, s[0], w, bias, 1e-5, s[3])
                           for s in sets],
        [lambda s=s: F.layer_norm(s[0], (HID,), w16, b16, 1e-5) for s in sets])
    del sets

    # RoPE + KV append: fused QKV buffer [T, (32 + 8) * 64]; Q rotated in place, K and V to
    # pages (page 16, shuffled). Bytes: Q read + write, K, V read + cache write.
    page = 16
    nb = T * (2 * H * HD + 4 * KVH * HD) * 2
    n = copies_for(nb)
    width = (H + 2 * KVH) * HD
    inv = attnc_cuda.rope_inv_freq(lib, 10000.0, HD).cuda()
    pos = torch.arange(T, dtype=torch.int32, device=dev) + (1000 if T == 1 else 0)
    pages = math.ceil((int(pos[-1]) + 1) / page)
    qs = torch.tensor([0, T], dtype=torch.int32, device=dev)
    sets = []
    for _ in range(n):
        qkv = torch.randn(T, width, device=dev).to(dtype)
        cache = torch.empty(pages, 2, page, KVH, HD, device=dev, dtype=dtype)
        table = torch.randperm(pages, device=dev).int()
        sets.append((qkv, cache, table))
    add("rope_kv_append", nb,
        [lambda s=s: attnc_cuda.rope_kv_append(
            lib, 0, HD, HD, H, KVH, pos, inv, s[0], width, s[0][:, H * HD:], width,
            s[0][:, (H + KVH) * HD:], width, qs, s[2], pages, page, s[1].data_ptr())
         for s in sets])
    del sets

    # SwiGLU on the fused gate_up [T, 2 * 5632] -> [T, 5632]
    nb = 3 * T * INTER * 2
    n = copies_for(nb)
    sets = [(torch.randn(T, 2 * INTER, device=dev).to(dtype),
             torch.empty(T, INTER, device=dev, dtype=dtype)) for _ in range(n)]
    add("swiglu", nb,
        [lambda s=s: attnc_cuda.gated_activation(lib, "silu", s[0], 2 * INTER, s[0][:, INTER:],
                                                 2 * INTER, s[1], T, INTER) for s in sets],
        [lambda s=s: F.silu(s[0][:, :INTER]) * s[0][:, INTER:] for s in sets])
    nb = 2 * T * INTER * 2
    add("gelu_tanh", nb,
        [lambda s=s: attnc_cuda.activation(lib, "gelu_tanh", s[0].view(-1)[:T * INTER], s[1])
         for s in sets],
        [lambda s=s: F.gelu(s[0].view(-1)[:T * INTER], approximate="tanh") for s in sets])
    del sets

    # embedding: T rows of 2048 from 32000; bytes = rows read + written
    nb = 2 * T * HID * 2
    table = torch.randn(VOCAB, HID, device=dev).to(dtype)
    n = copies_for(nb)
    sets = [(torch.randint(0, VOCAB, (T,), dtype=torch.int32, device=dev),
             torch.empty(T, HID, device=dev, dtype=dtype)) for _ in range(n)]
    bad = torch.zeros(2, dtype=torch.int32, device=dev)
    add("embedding", nb,
        [lambda s=s: attnc_cuda.embedding(lib, s[0], table, 1.0, s[1], bad) for s in sets],
        [lambda s=s: torch.index_select(table, 0, s[0], out=s[1]) for s in sets])
    return rows


def bench_linear(lib, lin, dtype):
    rows = []
    for K, N in ((2048, 2048), (2048, 5632), (5632, 2048), (2048, 32000)):
        n = copies_for(K * N * 2, target=200e6, cap=24)
        ws = [(torch.randn(N, K, device="cuda") / math.sqrt(K)).to(dtype) for _ in range(n)]
        for T in (1, 16, 2048):
            x = torch.randn(T, K, device="cuda").to(dtype)
            ys = [torch.empty(T, N, device="cuda", dtype=dtype) for _ in range(n)]
            lin(x, ws[0], None, ys[0])
            ref = torch.matmul(x, ws[0].t())
            err = float((ys[0].float() - ref.float()).norm() / ref.float().norm())
            ours = time_ms([lambda i=i: lin(x, ws[i], None, ys[i]) for i in range(n)])
            theirs = time_ms([lambda i=i: torch.matmul(x, ws[i].t(), out=ys[i])
                              for i in range(n)])
            flop = 2 * T * K * N
            wbytes = K * N * 2
            row = dict(K=K, N=N, T=T, dtype=str(dtype).split(".")[1], ours_us=ours * 1e3,
                       torch_us=theirs * 1e3, ours_tflops=flop / ours / 1e9,
                       torch_tflops=flop / theirs / 1e9, ours_weight_gb_s=wbytes / ours / 1e6,
                       ratio=theirs / ours, rel_err_vs_torch=err)
            rows.append(row)
            print("  %-5s K=%4d N=%5d T=%4d ours %8.2f us %6.1f TFLOP/s %5.0f GB/s | torch %8.2f us "
                  "%6.1f TFLOP/s | ours/torch %.2f | err %.1e" % (
                      row["dtype"], K, N, T, row["ours_us"], row["ours_tflops"],
                      row["ours_weight_gb_s"], row["torch_us"], row["torch_tflops"], row["ratio"],
                      err))
        del ws
    return rows


GEMV_SHAPES = (("qkv", 2048, 2560), ("o", 2048, 2048), ("gate_up", 2048, 11264),
               ("down", 5632, 2048), ("lm_head", 2048, 32000))


def same_bytes_copy(row, dense_bytes, quant):
    """The copy bandwidth at each format's size: a device copy moving as many
    bytes as the GEMV reads (half read, half written), copies rotating past
    L2, timed the same way; <label>_of_same_bytes_copy = copy time / GEMV
    time. The copy kernel is launched plainly: when the runtime's early
    launches are on (ATTNC_CUDA_PDL unset), consecutive GEMVs overlap one's
    start with the previous one's tail and the copies do not, so compare
    with ATTNC_CUDA_PDL=0 too."""
    sizes = {"gemv": dense_bytes, "cublaslt": dense_bytes}
    sizes.update({q: v[4] for q, v in quant.items()})
    for label, nbytes in sizes.items():
        half = max(8, nbytes // 4)  # f16 elements read (= written)
        cs = [(torch.empty(half, device="cuda", dtype=torch.float16).normal_(),
               torch.empty(half, device="cuda", dtype=torch.float16))
              for _ in range(copies_for(nbytes, target=200e6, cap=96))]
        copy_us = time_ms([lambda c=c: c[1].copy_(c[0]) for c in cs]) * 1e3
        row[label + "_same_bytes_copy_us"] = copy_us
        row[label + "_of_same_bytes_copy"] = copy_us / row[label + "_us"]
        del cs
    print("        same-bytes copy: " + " | ".join(
        "%s %.2f us (GEMV at %.0f%%)" % (label, row[label + "_same_bytes_copy_us"],
                                         100 * row[label + "_of_same_bytes_copy"])
        for label in sizes))


def bench_gemv(lib, dtype, copy_gbs):
    """Decode linears: GB/s of weight bytes (values + scales + zero points)
    for cuBLASLt, the dense tensor-core GEMV, w8 and w4 (QuantLinear.cu) at
    T = 1 and 8; weight copies rotate past L2 (~200 MB of each format)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from test_kernels import dequantize_ref, quantize_ref  # noqa: E402 (the contract's)
    rows = []
    lt = attnc_cuda.Linear(lib, gemv_max_tokens=0)
    for name, K, N in GEMV_SHAPES:
        dense_bytes = N * K * 2
        n = copies_for(dense_bytes, target=200e6, cap=24)
        ws = [(torch.randn(N, K, device="cuda") / math.sqrt(K)) for _ in range(n)]
        wd = [w.to(dtype) for w in ws]
        quant = {}
        for qname, bits, group, asym in (("w8", 8, 0, False), ("w4g128", 4, 128, False),
                                         ("w4g32a", 4, 32, True)):
            qs = [quantize_ref(w, bits, group, asym) for w in ws]
            nbytes = sum(t.numel() * t.element_size() for t in qs[0] if t is not None)
            # As many copies as make ~200 MB of *quantized* bytes (4x the
            # dense count for w4): fewer stay partly in the 50 MB L2 and
            # overstate the bandwidth (the model's 22 layers never do).
            nq = copies_for(nbytes, target=200e6, cap=96)
            qs = [tuple(None if t is None else t.clone() for t in qs[i % n]) for i in range(nq)]
            quant[qname] = (bits, group, asym, qs, nbytes)
        del ws
        for T in (1, 8):
            x = torch.randn(T, K, device="cuda").to(dtype)
            ys = [torch.empty(T, N, device="cuda", dtype=dtype) for _ in range(n)]
            ref = torch.matmul(x.float(), wd[0].float().t())
            row = dict(shape=name, K=K, N=N, T=T, dtype=str(dtype).split(".")[1])

            def record(label, fns, nbytes, out, ref=ref):
                fns[0]()
                err = float((out.float() - ref).norm() / ref.norm())
                ms = time_ms(fns)
                row[label + "_us"] = ms * 1e3
                row[label + "_gb_s"] = nbytes / ms / 1e6
                row[label + "_frac_of_copy"] = row[label + "_gb_s"] / copy_gbs
                row[label + "_rel_err"] = err

            record("cublaslt", [lambda i=i: lt(x, wd[i], None, ys[i]) for i in range(n)],
                   dense_bytes, ys[0])
            record("gemv", [lambda i=i: attnc_cuda.gemv(lib, x, wd[i], None, ys[i])
                            for i in range(n)], dense_bytes, ys[0])
            for qname, (bits, group, asym, qs, nbytes) in quant.items():
                record(qname, [lambda i=i, q=qs, b=bits, g=group, a=asym:
                               attnc_cuda.quantized_linear(lib, b, g, a, x, q[i][0], q[i][1],
                                                           q[i][2], None, N, ys[i % n])
                               for i in range(len(qs))], nbytes, ys[0],
                       torch.matmul(x.float(), dequantize_ref(*qs[0], bits, group, K).float().t()))
            row["gemv_speedup"] = row["cublaslt_us"] / row["gemv_us"]
            if T == 1:
                same_bytes_copy(row, dense_bytes, quant)
            rows.append(row)
            print("  %-5s %-7s T=%d  cuBLASLt %6.2f us %5.0f GB/s (%2.0f%%) | gemv %6.2f us %5.0f "
                  "GB/s (%2.0f%%) x%.2f | w8 %6.2f us %5.0f GB/s (%2.0f%%) | w4g128 %6.2f us %5.0f "
                  "GB/s (%2.0f%%) | w4g32a %6.2f us %5.0f GB/s (%2.0f%%)" % (
                      row["dtype"], name, T, row["cublaslt_us"], row["cublaslt_gb_s"],
                      100 * row["cublaslt_frac_of_copy"], row["gemv_us"], row["gemv_gb_s"],
                      100 * row["gemv_frac_of_copy"], row["gemv_speedup"], row["w8_us"],
                      row["w8_gb_s"], 100 * row["w8_frac_of_copy"], row["w4g128_us"],
                      row["w4g128_gb_s"], 100 * row["w4g128_frac_of_copy"], row["w4g32a_us"],
                      row["w4g32a_gb_s"], 100 * row["w4g32a_frac_of_copy"]))
            bad = [k for k in row if k.endswith("_rel_err") and not row[k] < 2e-2]
            if bad:
                print("    WARNING: large error vs the f32 product: " +
                      ", ".join("%s %.2e" % (k, row[k]) for k in bad))
        del wd, quant
    return rows


PREFILL_SHAPES = GEMV_SHAPES[:4]  # the lm_head takes one token a sequence in prefill


def bench_prefill(lib, dtype, copy_gbs, token_counts):
    """Prefill linears (T in token_counts): TFLOP/s of cuBLASLt on the dense
    weights against attnc_cuda_quantized_linear w8 and w4g128, and, as the
    floor of a GEMM on weights dequantized per call, cuBLASLt's time plus the
    copy-rate time of that dequantization (reading the codes and scales,
    writing [N, K] in the storage type).
    Timed eagerly, as the runtime runs prefill: from 64 tokens (w8: 96) the
    quantized linears take their dequantize + cuBLASLt path, which stands
    aside while a stream is being captured (QuantLinear.cu). Below ~256
    tokens these times are bound by Python's launch rate: the end-to-end
    prefill runs (bench/gpu_e2e.sh) decide thresholds."""
    from test_kernels import dequantize_ref, quantize_ref  # noqa: E402 (the contract's)
    rows = []
    lt = attnc_cuda.Linear(lib, gemv_max_tokens=0)
    for name, K, N in PREFILL_SHAPES:
        w = torch.randn(N, K, device="cuda") / math.sqrt(K)
        wd = w.to(dtype)
        quant = {}
        for qname, bits, group in (("w8", 8, 0), ("w4g128", 4, 128)):
            q = quantize_ref(w, bits, group, False)
            nbytes = sum(t.numel() * t.element_size() for t in q if t is not None)
            quant[qname] = (bits, group, q, nbytes)
        del w
        for T in token_counts:
            x = torch.randn(T, K, device="cuda").to(dtype)
            y = torch.empty(T, N, device="cuda", dtype=dtype)
            flop = 2 * T * K * N
            row = dict(shape=name, K=K, N=N, T=T, dtype=str(dtype).split(".")[1])
            lt(x, wd, None, y)
            row["cublaslt_us"] = time_ms([lambda: lt(x, wd, None, y)], graph=False) * 1e3
            row["cublaslt_tflops"] = flop / row["cublaslt_us"] / 1e6
            for qname, (bits, group, q, nbytes) in quant.items():
                def call(q=q, b=bits, g=group):
                    attnc_cuda.quantized_linear(lib, b, g, False, x, q[0], q[1], q[2], None, N, y)
                call()
                ref = torch.matmul(x.float(), dequantize_ref(*q, bits, group, K).float().t())
                row[qname + "_rel_err"] = float((y.float() - ref).norm() / ref.norm())
                row[qname + "_us"] = time_ms([call], graph=False) * 1e3
                row[qname + "_tflops"] = flop / row[qname + "_us"] / 1e6
                floor_us = (nbytes + N * K * 2) / copy_gbs / 1e3
                row[qname + "_dequant_gemm_us"] = row["cublaslt_us"] + floor_us
            rows.append(row)
            print("  %-5s %-7s T=%4d  cuBLASLt %8.2f us %5.0f TFLOP/s | w8 %8.2f us %5.0f TFLOP/s "
                  "(dequant + cuBLASLt >= %.2f us) | w4g128 %8.2f us %5.0f TFLOP/s (dequant + "
                  "cuBLASLt >= %.2f us)" % (
                      row["dtype"], name, T, row["cublaslt_us"], row["cublaslt_tflops"],
                      row["w8_us"], row["w8_tflops"], row["w8_dequant_gemm_us"],
                      row["w4g128_us"], row["w4g128_tflops"], row["w4g128_dequant_gemm_us"]))
        del wd, quant
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="")
    ap.add_argument("--section", choices=("all", "memory", "linear", "gemv", "prefill"),
                    default="all", help="gemv: decode GEMV / quantized linear vs cuBLASLt only; "
                    "prefill: quantized linears at T = 128-2048 vs cuBLASLt")
    ap.add_argument("--gemv-dtype", choices=("f16", "bf16", "both"), default="both")
    ap.add_argument("--prefill-tokens", default="128,512,2048",
                    help="prefill section: comma-separated token counts")
    args = ap.parse_args()
    try:
        prefill_tokens = [int(t) for t in args.prefill_tokens.split(",")]
        if any(t < 1 for t in prefill_tokens):
            raise ValueError
    except ValueError:
        ap.error(f"--prefill-tokens {args.prefill_tokens!r}: expected positive integers "
                 "separated by commas")
    torch.manual_seed(0)
    lib = attnc_cuda.load_library()
    props = torch.cuda.get_device_properties(0)
    res = dict(device=props.name, sms=props.multi_processor_count, torch=torch.__version__,
               date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    x = torch.empty(1 << 29, dtype=torch.float16, device="cuda")
    x.normal_()
    y = torch.empty_like(x)
    ms = time_ms([lambda: y.copy_(x)], graph=False)
    res["copy_gb_s"] = 2 * x.numel() * 2 / ms / 1e6
    del x, y
    print(f"{props.name}: copy {res['copy_gb_s']:.0f} GB/s")
    if args.section in ("all", "memory"):
        res["memory"] = []
        for T in (1, 2048):
            res["memory"] += bench_memory(lib, torch.float16, T, res["copy_gb_s"])
    if args.section in ("all", "linear"):
        lin = attnc_cuda.Linear(lib)
        res["linear"] = []
        for dtype in (torch.bfloat16, torch.float16):
            res["linear"] += bench_linear(lib, lin, dtype)
    if args.section in ("all", "gemv"):
        res["gemv"] = []
        for dtype, short in ((torch.float16, "f16"), (torch.bfloat16, "bf16")):
            if args.gemv_dtype in ("both", short):
                res["gemv"] += bench_gemv(lib, dtype, res["copy_gb_s"])
    if args.section in ("all", "prefill"):
        res["prefill"] = []
        for dtype, short in ((torch.float16, "f16"), (torch.bfloat16, "bf16")):
            if args.gemv_dtype in ("both", short):
                res["prefill"] += bench_prefill(lib, dtype, res["copy_gb_s"], prefill_tokens)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
