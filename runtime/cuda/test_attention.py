#!/usr/bin/env python3
"""GPU tests of runtime/cuda: kv_append and paged attention against a PyTorch
float32 reference on upcast inputs (the masked score matrix materialised;
float64 for the f32 kernel, which must match it to 2e-5 max, 1e-5 l2).

Each case is a ragged step (prefill from 0, a chunk starting mid-sequence,
decodes of short and long contexts, a few multi-token steps, an idle
sequence) over a paged cache with shuffled pages. Page slots not yet written,
pages released below the window (-1 in the block table) and a guard page in
front of the cache hold NaN, and the output is NaN-poisoned before each run,
so any read the semantics forbid or any element left unwritten fails the
check. Every f16/bf16 case also runs with forced key splits (flash-decoding
path); f32 plans are never split (checked), so they run once.

Exit status: 0 when every case passes, 1 otherwise, 77 (skipped: ctest's
SKIP_RETURN_CODE) without PyTorch or a CUDA GPU. ATTNC_TEST_SEED=<n> replays
a run; ATTNC_TEST_DTYPES=f32[,f16,bf16] runs those storage types only;
ATTNC_TEST_QUICK=1 runs a subset (f16 and f32, hd 16, 128 and 256,
GQA4 and MQA32, two masks) for compute-sanitizer. Head sizes 64, 128 and 256
run every head config x mask; 16 and 32 two masks per head config (every mask
per dtype).
Plans for unsupported head sizes must be refused with the size named.

Quantized caches (int8, fp8 e4m3; runtime/QuantizedKV.h): the same steps over
a cache of codes + scales, for every storage type and head sizes 16, 64, 128
and 256 (head configs and masks rotating): (a) after
attnc_cuda_kv_append_typed the whole page buffer must equal, byte for byte,
one built by an independent PyTorch quantizer (attnc_cuda.quantize_rows: int8
with torch.round, fp8 through torch.float8_e4m3fn) from the model-dtype values;
unwritten rows hold 0xFF codes and NaN scales; the step's rows include an
all-zero row (scale 0) and rows of log-uniform magnitudes (fp8 subnormals);
(b) attention over it must match the reference over the dequantized K/V (code
* scale in f32) with the model-dtype tolerances (f32: 2e-5 / 1e-5 against
float64). The fused RoPE append into a quantized cache: V bytes exact, the
rotated K within the quantization error of the f32 rotation (f32 models:
bytes exact against quantize_rows of the model path's rotated keys).
ATTNC_TEST_KV=0 skips the quantized cases, ATTNC_TEST_KV=only runs only them.
"""
import math
import os
import random
import sys

SKIP = 77  # exit status of a skipped test (ctest SKIP_RETURN_CODE)

try:
    import torch
except ImportError:
    print("SKIP: PyTorch is not installed")
    sys.exit(SKIP)
if not torch.cuda.is_available():
    print("SKIP: no CUDA GPU")
    sys.exit(SKIP)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attnc_cuda  # noqa: E402


def make_step(gen, seqs, kv_heads, head_dim, page_size, dtype, window, release):
    """seqs: list of (context_len, query tokens). Returns the cache, metadata
    and the step's new K/V (not yet appended)."""
    dev = "cuda"
    pages_per_seq = [math.ceil(c / page_size) for c, _ in seqs]
    num_pages = sum(pages_per_seq) + 3
    blocks_per_seq = max(pages_per_seq + [1]) + 2
    perm = list(range(num_pages))
    gen.shuffle(perm)
    # Page 0 of the buffer is a NaN guard: the kernel's page -1. Slots of
    # earlier tokens hold random K/V; every other slot holds NaN.
    cache = torch.randn((num_pages + 1, 2, page_size, kv_heads, head_dim), device=dev).to(dtype)
    written = torch.zeros(num_pages + 1, page_size, dtype=torch.bool)
    table = torch.full((len(seqs), blocks_per_seq), -1, dtype=torch.int32)
    positions, query_start, context_len = [], [0], []
    next_page = 0
    for s, (ctx, nq) in enumerate(seqs):
        for b in range(pages_per_seq[s]):
            table[s, b] = perm[next_page]
            next_page += 1
        first_new = ctx - nq
        positions += list(range(first_new, ctx))
        query_start.append(query_start[-1] + nq)
        context_len.append(ctx)
        k = torch.arange(first_new)
        written[1 + table[s][k // page_size].long(), k % page_size] = True
    cache.masked_fill_(~written.to(dev)[:, None, :, None, None], float("nan"))
    full_table = table.clone()
    if window > 0 and release:
        for s, (ctx, nq) in enumerate(seqs):
            if nq == 0:
                continue
            lowest = max(0, ctx - nq - window + 1)  # lowest key any query token needs
            for b in range(lowest // page_size):
                cache[1 + int(table[s, b])] = float("nan")
                table[s, b] = -1
    T = len(positions)
    new_k = torch.randn(T, kv_heads, head_dim, device=dev).to(dtype)
    new_v = torch.randn(T, kv_heads, head_dim, device=dev).to(dtype)
    return dict(cache=cache, table=table, full_table=full_table, positions=positions,
                query_start=query_start, context_len=context_len, blocks_per_seq=blocks_per_seq,
                new_k=new_k, new_v=new_v)


def reference(step, query, group, causal, window, softcap, scale, page_size):
    # f32 storage is checked against float64, the others against float32.
    acc = torch.float64 if query.dtype == torch.float32 else torch.float32
    cache = step["cache"][1:].to(acc)
    table = step["table"]
    out = torch.zeros_like(query, dtype=acc)
    qs, ctxs, pos_all = step["query_start"], step["context_len"], step["positions"]
    for s, ctx in enumerate(ctxs):
        t0, t1 = qs[s], qs[s + 1]
        if t1 == t0:
            continue
        keys = torch.arange(ctx, device="cuda")
        pages = table[s].cuda().long()[keys // page_size]
        live = pages >= 0
        slots = keys % page_size
        k = torch.where(live[:, None, None], cache[pages.clamp(min=0), 0, slots], 0.0)
        v = torch.where(live[:, None, None], cache[pages.clamp(min=0), 1, slots], 0.0)
        k = k.repeat_interleave(group, dim=1)  # [ctx, H, D]
        v = v.repeat_interleave(group, dim=1)
        q = query[t0:t1].to(acc)  # [n, H, D]
        scores = torch.einsum("nhd,khd->hnk", q, k) * scale
        if softcap > 0:
            scores = softcap * torch.tanh(scores / softcap)
        pos = torch.tensor(pos_all[t0:t1], device="cuda")[:, None]
        mask = keys[None, :] < ctx
        if causal:
            mask = mask & (keys[None, :] <= pos)
        if window > 0:
            mask = mask & (keys[None, :] >= pos - window + 1)
        assert bool((mask <= live[None, :]).all()), "test bug: a visible key sits on a released page"
        scores = scores.masked_fill(~mask[None], float("-inf"))
        p = torch.softmax(scores, dim=-1)
        p = torch.nan_to_num(p, nan=0.0)  # rows without keys -> zeros
        out[t0:t1] = torch.einsum("hnk,khd->nhd", p, v)
    return out


def check_append(step, page_size):
    """The step's new K/V must sit at their positions."""
    qs = step["query_start"]
    seq_of = [s for s in range(len(qs) - 1) for _ in range(qs[s + 1] - qs[s])]
    pos = torch.tensor(step["positions"]).long()
    pages = step["full_table"][torch.tensor(seq_of).long(), pos // page_size].long()
    cache = step["cache"]
    got_k = cache[(1 + pages).cuda(), 0, (pos % page_size).cuda()]
    got_v = cache[(1 + pages).cuda(), 1, (pos % page_size).cuda()]
    return torch.equal(got_k, step["new_k"]) and torch.equal(got_v, step["new_v"])


def step_slots(step, page_size):
    """Buffer page index (guard page first) and slot of each of the step's tokens."""
    qs = step["query_start"]
    seq_of = [s for s in range(len(qs) - 1) for _ in range(qs[s + 1] - qs[s])]
    pos = torch.tensor(step["positions"]).long()
    pages = step["full_table"][torch.tensor(seq_of).long(), pos // page_size].long()
    return (1 + pages).cuda(), (pos % page_size).cuda()


def spread_rows(step, gen):
    """Rows the quantizer must handle: an all-zero K row (scale 0) and rows of
    log-uniform magnitudes (fp8 subnormal codes, large ranges)."""
    k, v = step["new_k"], step["new_v"]
    k[0, 0] = 0
    for t in range(1, min(4, k.shape[0])):
        mag = torch.pow(10.0, torch.empty(k.shape[1:], device="cuda").uniform_(-5, 1))
        k[t] = (k[t].float() * mag).to(k.dtype)
        v[t] = (v[t].float() * mag.flip(-1)).to(v.dtype)


KV_NAMES = {attnc_cuda.KV_INT8: "int8", attnc_cuda.KV_FP8: "fp8"}


def run_case(lib, gen, dtype, head_dim, hc, mask, kv_type, tolerance, worst, rows):
    """One ragged step: append, then attention with each split. Returns failures."""
    hname, heads, kv_heads = hc
    mname, causal, window, softcap = mask
    page_size = gen.choice([16, 64, 7]) if hname != "GQA8" else 16
    if kv_type != attnc_cuda.KV_MODEL and page_size * kv_heads % 2:
        page_size = 14  # quantized pages must stay 16-byte aligned (refused otherwise)
    group = heads // kv_heads
    seqs = [(gen.randint(150, 300), 0), (gen.randint(600, 800), gen.randint(100, 140)),
            (1, 1), (gen.randint(1000, 3000), 1), (gen.randint(4000, 6000), 1),
            (gen.randint(400, 600), 3), (gen.randint(60, 80), 5), (50, 0),
            (gen.randint(2000, 2500), 2)]
    seqs[0] = (seqs[0][0], seqs[0][0])  # whole prompt from position 0
    step = make_step(gen, seqs, kv_heads, head_dim, page_size, dtype, window, release=True)
    dev = lambda x: torch.tensor(x, dtype=torch.int32, device="cuda")
    positions, query_start = dev(step["positions"]), dev(step["query_start"])
    context_len = dev(step["context_len"])
    table = step["table"].cuda()
    full_table = step["full_table"].cuda()
    if kv_type == attnc_cuda.KV_MODEL:
        cache = step["cache"]
        cache_ptr = cache.data_ptr() + cache[0].numel() * cache.element_size()
        attnc_cuda.kv_append(lib, step["new_k"], step["new_v"], positions, query_start,
                             full_table, step["blocks_per_seq"], cache_ptr, page_size)
        torch.cuda.synchronize()
        append_ok = check_append(step, page_size)
        ref_step = step
    else:
        spread_rows(step, gen)
        pages, _ = attnc_cuda.pack_quantized(step["cache"], kv_type)
        page_idx, slots = step_slots(step, page_size)
        after = step["cache"].clone()
        after[page_idx, 0, slots] = step["new_k"]
        after[page_idx, 1, slots] = step["new_v"]
        expected, deq = attnc_cuda.pack_quantized(after, kv_type)
        cache_ptr = pages.data_ptr() + pages[0].numel()
        attnc_cuda.kv_append(lib, step["new_k"], step["new_v"], positions, query_start,
                             full_table, step["blocks_per_seq"], cache_ptr, page_size, kv_type)
        torch.cuda.synchronize()
        append_ok = torch.equal(pages, expected)
        if not append_ok:
            diff = (pages != expected).nonzero()
            print(f"  append: {diff.shape[0]} bytes differ, first at {diff[:4].tolist()}")
        ref_step = dict(step, cache=deq)
    T = len(step["positions"])
    query = torch.randn(T, heads, head_dim, device="cuda").to(dtype)
    scale = 1.0 / math.sqrt(head_dim)
    ref = reference(ref_step, query, group, causal, window, softcap, scale, page_size)
    f32 = dtype == torch.float32
    failures = 0
    for split in ((0, 192) if f32 else (0, 64, 192)):
        plan = attnc_cuda.Plan(lib, dtype, head_dim, kv_heads, group, page_size,
                               causal, window, step["query_start"],
                               step["context_len"], step["positions"], split, kv_type)
        out = torch.full_like(query, float("nan"))
        plan.run(query, out, positions, context_len, table, step["blocks_per_seq"],
                 cache_ptr, scale, softcap)
        torch.cuda.synchronize()
        o = out.to(ref.dtype)
        nan = int(torch.isnan(o).sum())
        abs_err = float((o - ref).abs().nan_to_num(float("inf")).max())
        rel_max = abs_err / max(float(ref.abs().max()), 1e-6)
        rel_l2 = float((o - ref).nan_to_num(1e9).norm() / ref.norm().clamp(min=1e-6))
        tol_max, tol_l2 = tolerance[dtype]
        ok = append_ok and nan == 0 and rel_max <= tol_max and rel_l2 <= tol_l2
        if f32 and plan.split_groups != 0:  # the f32 kernel writes no partial states
            ok = False
            print(f"FAIL f32 plan split into {plan.split_groups} groups")
        key = (str(dtype).split(".")[1], head_dim, hname, KV_NAMES.get(kv_type, ""))
        w = worst.setdefault(key, [0.0, 0.0])
        w[0], w[1] = max(w[0], rel_max), max(w[1], rel_l2)
        if not ok:
            failures += 1
            print(f"FAIL {key} {mname} page {page_size} split {split} "
                  f"(plan: {plan.decode_items} decode / {plan.prefill_items} prefill items, "
                  f"{plan.split_groups} split groups of {plan.split_tokens}): "
                  f"append_ok={append_ok} nan={nan} rel_max={rel_max:.3e} rel_l2={rel_l2:.3e}")
        rows.append((key, mname, split, rel_max, rel_l2, ok))
    return failures


def rope_quantized(lib, gen):
    """attnc_cuda_rope_kv_append into a quantized cache. Returns (checks, failures)."""
    checks = failures = 0
    for dtype in (torch.float16, torch.bfloat16, torch.float32):
        for kv_type in (attnc_cuda.KV_INT8, attnc_cuda.KV_FP8):
            for head_dim, rot, style, kvh in ((128, 128, 0, 8), (64, 32, 1, 2), (256, 256, 0, 1)):
                checks += 1
                page_size = gen.choice([1, 7, 16])
                seqs = [(gen.randint(20, 40), 0), (gen.randint(50, 90), 1),
                        (gen.randint(10, 30), 0), (gen.randint(300, 400), 2)]
                seqs[0] = (seqs[0][0], seqs[0][0])
                seqs[2] = (seqs[2][0], seqs[2][0])
                step = make_step(gen, seqs, kvh, head_dim, page_size, dtype, 0, release=False)
                spread_rows(step, gen)
                dev = lambda x: torch.tensor(x, dtype=torch.int32, device="cuda")
                positions, query_start = dev(step["positions"]), dev(step["query_start"])
                full_table = step["full_table"].cuda()
                T = positions.numel()
                inv_freq = attnc_cuda.rope_inv_freq(lib, 10000.0, rot).cuda()
                k, v = step["new_k"], step["new_v"]
                # The model path's rotated keys (f32 storage: the values the
                # quantized path quantizes), from a model-dtype cache copy.
                model = step["cache"].clone()
                mptr = model.data_ptr() + model[0].numel() * model.element_size()
                q0 = torch.zeros(T, 1, head_dim, device="cuda", dtype=dtype)
                attnc_cuda.rope_kv_append(lib, style, head_dim, rot, 0, kvh, positions, inv_freq,
                                          q0, head_dim, k, kvh * head_dim, v, kvh * head_dim,
                                          query_start, full_table, step["blocks_per_seq"],
                                          page_size, mptr)
                page_idx, slots = step_slots(step, page_size)
                pages, _ = attnc_cuda.pack_quantized(step["cache"], kv_type)
                pptr = pages.data_ptr() + pages[0].numel()
                attnc_cuda.rope_kv_append(lib, style, head_dim, rot, 0, kvh, positions, inv_freq,
                                          q0, head_dim, k, kvh * head_dim, v, kvh * head_dim,
                                          query_start, full_table, step["blocks_per_seq"],
                                          page_size, pptr, kv_type=kv_type)
                torch.cuda.synchronize()
                rotated = model[page_idx, 0, slots].float()  # [T, kvh, hd]
                P, ps = pages.shape[0], page_size
                nk = ps * kvh * head_dim
                codes = pages[:, :2 * nk].reshape(P, 2, ps, kvh, head_dim)
                scales = pages[:, 2 * nk:].contiguous().view(torch.float32).reshape(P, 2, ps, kvh)
                got_k = codes[page_idx, 0, slots]
                got_ks = scales[page_idx, 0, slots]
                ref_v = attnc_cuda.quantize_rows(v.float(), kv_type)
                ok = torch.equal(codes[page_idx, 1, slots], ref_v[0]) and \
                    torch.equal(scales[page_idx, 1, slots], ref_v[1])
                if dtype == torch.float32:
                    ref_k = attnc_cuda.quantize_rows(rotated, kv_type)
                    ok = ok and torch.equal(got_k, ref_k[0]) and torch.equal(got_ks, ref_k[1])
                else:
                    # f32 rotation of the model-dtype key, then quantization
                    # error: half a step (int8), 2^-4 relative or half a
                    # subnormal step (fp8), plus f32 rounding slack.
                    kf = k.float()
                    pos = positions.long()[:, None].float()
                    ang = pos * inv_freq[None, :]
                    c, s_ = torch.cos(ang)[:, None, :], torch.sin(ang)[:, None, :]
                    kr = kf.clone()
                    if style == 0:
                        x0, x1 = kf[..., :rot // 2], kf[..., rot // 2:rot]
                        kr[..., :rot // 2] = x0 * c - x1 * s_
                        kr[..., rot // 2:rot] = x1 * c + x0 * s_
                    else:
                        x0, x1 = kf[..., 0:rot:2], kf[..., 1:rot:2]
                        kr[..., 0:rot:2] = x0 * c - x1 * s_
                        kr[..., 1:rot:2] = x1 * c + x0 * s_
                    deq = attnc_cuda.dequantize_rows(got_k, got_ks, kv_type)
                    amax = kr.abs().amax(-1, keepdim=True)
                    if kv_type == attnc_cuda.KV_INT8:
                        bound = 0.5 * amax / 127 * 1.001 + 1e-5 * amax
                    else:
                        bound = kr.abs() * 2.0 ** -4 * 1.001 + amax / 448 * 2.0 ** -10 + 1e-5 * amax
                    ok = ok and bool(((deq - kr).abs() <= bound).all())
                    ok = ok and bool(((got_ks - amax[..., 0] / (127 if kv_type == 1 else 448)).abs()
                                      <= 1e-5 * amax[..., 0]).all())
                # Nothing but the step's rows changed.
                mask = torch.ones(P, ps, dtype=torch.bool, device="cuda")
                mask[page_idx, slots] = False
                before, _ = attnc_cuda.pack_quantized(step["cache"], kv_type)
                rows_b = before[:, :2 * nk].reshape(P, 2, ps, -1)
                rows_a = pages[:, :2 * nk].reshape(P, 2, ps, -1)
                ok = ok and torch.equal(rows_a[mask[:, None, :].expand(P, 2, ps)],
                                        rows_b[mask[:, None, :].expand(P, 2, ps)])
                if not ok:
                    failures += 1
                    print(f"FAIL rope_kv_append {str(dtype).split('.')[1]} {KV_NAMES[kv_type]} "
                          f"hd {head_dim} rot {rot} style {style} kv heads {kvh} page {page_size}")
    return checks, failures


def main():
    seed = int(os.environ.get("ATTNC_TEST_SEED", random.SystemRandom().randrange(1 << 30)))
    print(f"seed {seed} (ATTNC_TEST_SEED={seed} replays)")
    gen = random.Random(seed)
    torch.manual_seed(seed)
    lib = attnc_cuda.load_library()
    # (query heads, kv heads): MHA, GQA 4, GQA 8, MQA (group 16 -> small kernel, 32 -> large)
    head_configs = [("MHA", 8, 8), ("GQA4", 16, 4), ("GQA8", 32, 4), ("MQA16", 16, 1),
                    ("MQA32", 32, 1)]
    # (name, causal, window, softcap)
    masks = [("causal", True, 0, 0.0), ("causal+win", True, 100, 0.0),
             ("full", False, 0, 0.0), ("full+win", False, 77, 0.0),
             ("causal+softcap", True, 0, 30.0), ("win+softcap", True, 300, 20.0)]
    quick = os.environ.get("ATTNC_TEST_QUICK") == "1"  # for compute-sanitizer runs
    dtypes = (torch.float16, torch.float32) if quick else \
        (torch.float16, torch.bfloat16, torch.float32)
    # Pass: max |err| / max |ref| and l2-relative error per storage type.
    tolerance = {torch.float16: (2e-2, 1e-2), torch.bfloat16: (2e-2, 1e-2),
                 torch.float32: (2e-5, 1e-5)}
    only = os.environ.get("ATTNC_TEST_DTYPES")
    if only:
        names = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32}
        dtypes = tuple(d for d in dtypes if d in {names[n] for n in only.split(",")})
    # Every head config x mask for the model head sizes; 16 and 32 (tiny
    # models, same kernels) take two masks per head config, rotating so that
    # each mask still meets every dtype.
    head_dims = (16, 128, 256) if quick else (16, 32, 64, 128, 256)
    full_dims = (64, 128, 256)
    if quick:
        head_configs = head_configs[1:2] + head_configs[4:]
        masks = masks[:2]
    cases = []
    for di, dtype in enumerate(dtypes):
        for head_dim in head_dims:
            for hi, hc in enumerate(head_configs):
                for mi, mask in enumerate(masks):
                    if quick or head_dim in full_dims or (mi - 2 * hi - di - head_dim // 16) % 3 == 0:
                        cases.append((dtype, head_dim, hc, mask))
    kv_mode = os.environ.get("ATTNC_TEST_KV", "1")
    if kv_mode == "only":
        cases = []
    # Quantized caches: every storage type x int8/fp8 x head sizes 16, 64,
    # 128, 256, three (head config, mask) pairs each, rotating so that every
    # head config and mask meets every kv type.
    kv_cases = []
    if kv_mode != "0":
        kv_dims = (16, 128) if quick else (16, 64, 128, 256)
        n = 0
        for dtype in dtypes:
            for kv_type in (attnc_cuda.KV_INT8, attnc_cuda.KV_FP8):
                for head_dim in kv_dims:
                    for _ in range(1 if quick else 3):
                        kv_cases.append((dtype, head_dim, head_configs[n % len(head_configs)],
                                         masks[(n // len(head_configs) + n) % len(masks)],
                                         kv_type))
                        n += 1
    failures = 0
    worst = {}
    rows = []
    for dtype, head_dim, hc, mask in cases:
        failures += run_case(lib, gen, dtype, head_dim, hc, mask, attnc_cuda.KV_MODEL, tolerance,
                             worst, rows)
    for dtype, head_dim, hc, mask, kv_type in kv_cases:
        failures += run_case(lib, gen, dtype, head_dim, hc, mask, kv_type, tolerance, worst, rows)
    if kv_mode != "0":
        checks, bad = rope_quantized(lib, gen)
        failures += bad
        print(f"rope_kv_append into quantized caches: {checks} checks, {bad} failed")
    for bad in (8, 48, 96, 512):
        try:
            attnc_cuda.Plan(lib, torch.float16, bad, 1, 1, 16, True, 0, [0, 1], [1], [0])
            refused = ""
        except RuntimeError as e:
            refused = str(e)
        if f"head_dim {bad} " not in refused:
            failures += 1
            print(f"FAIL head_dim {bad} not refused by name: {refused!r}")
    if kv_mode != "0":
        try:
            attnc_cuda.Plan(lib, torch.float16, 128, 1, 1, 7, True, 0, [0, 1], [1], [0],
                            kv_type=attnc_cuda.KV_INT8)
            refused = ""
        except RuntimeError as e:
            refused = str(e)
        if "page_size * kv_heads even" not in refused:
            failures += 1
            print(f"FAIL quantized cache with odd page_size * kv_heads not refused: {refused!r}")
    print(f"\n{len(rows)} runs, {failures} failed")
    print(f"{'dtype':<9}{'hd':>4} {'heads':<7}{'kv':<6}{'max |err|/max|ref|':>20}{'l2 rel':>12}")
    for key, (rm, rl) in sorted(worst.items()):
        print(f"{key[0]:<9}{key[1]:>4} {key[2]:<7}{key[3]:<6}{rm:>20.3e}{rl:>12.3e}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
