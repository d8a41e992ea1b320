#!/usr/bin/env python3
"""GPU tests of the runtime/cuda step kernels (StepKernels.h): norms, RoPE
fused with the KV append, RoPE from tables, activations, embedding gather,
the cuBLASLt linear, the GEMV and quantized linear (QuantLinear.cu; the
quantized one against a torch dequantization by runtime/QuantizedWeights.h),
add / scale / softcap, f32 conversion and row gather,
in f16, bf16 and f32 storage, each against a PyTorch float32 reference on
upcast inputs (the linear's in float64, so that TF32 would show).

Shapes are random per run and include T = 1 and odd sizes (so both the
16-byte vector paths and the scalar fallbacks run). Outputs are NaN-poisoned
before every call; cache pages and slots not written by the step, and the
table rows around the embedding table, hold NaN, so an unwritten element or a
forbidden read fails. Pass: no NaN, max|out - ref| / max|ref| <= 1e-2 and
||out - ref|| / ||ref|| <= 1e-2 in f16/bf16, <= 1e-5 in f32 (exact where the
kernel only moves data or rounds once as the reference does).

Exit status: 0 when every case passes, 1 otherwise, 77 (skipped: ctest's
SKIP_RETURN_CODE) without PyTorch or a CUDA GPU. ATTNC_TEST_SEED=<n> replays
a run; ATTNC_TEST_ONLY=<test_x,test_y> runs only those groups;
ATTNC_TEST_DTYPES=f32[,f16,bf16] only those storage types; ATTNC_TEST_QUICK=1
shrinks the gemv and quantized_linear groups (for compute-sanitizer).
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

DTYPES = (torch.float16, torch.bfloat16, torch.float32)
if os.environ.get("ATTNC_TEST_DTYPES"):
    _names = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32}
    DTYPES = tuple(_names[n] for n in os.environ["ATTNC_TEST_DTYPES"].split(","))
NAN = float("nan")
F32_TOL = 1e-5  # f32 storage: only the order of f32 operations differs from the reference


class Results:
    def __init__(self):
        self.rows = []
        self.failures = 0
        self.worst = {}

    def check(self, kernel, case, dtype, out, ref, exact=False, tol=1e-2, scale=0.0):
        """scale: a floor for the error's denominator, e.g. the largest sum of
        |terms| of a dot product (a few outputs can cancel to far below it)."""
        if dtype == torch.float32:
            tol = min(tol, F32_TOL)
        o, r = out.double(), ref.double()
        nan = int(torch.isnan(o).sum())
        if exact:
            ok = nan == 0 and torch.equal(out, ref.to(out.dtype))
            rel_max = rel_l2 = 0.0 if ok else float("inf")
        else:
            err = (o - r).nan_to_num(1e9)
            rel_max = (float(err.abs().max()) / max(float(r.abs().max()), scale, 1e-6)
                       if r.numel() else 0.0)
            rel_l2 = (float(err.norm() / r.norm().clamp(min=max(scale * math.sqrt(r.numel()), 1e-6)))
                      if r.numel() else 0.0)
            ok = nan == 0 and rel_max <= tol and rel_l2 <= tol
        dn = str(dtype).split(".")[1]
        w = self.worst.setdefault((kernel, dn), [0.0, 0.0, 0])
        w[0], w[1], w[2] = max(w[0], rel_max), max(w[1], rel_l2), w[2] + 1
        if not ok:
            self.failures += 1
            print(f"FAIL {kernel} {dn} {case}: nan={nan} rel_max={rel_max:.3e} rel_l2={rel_l2:.3e}")
        self.rows.append(ok)
        return ok

    def refused(self, kernel, case, dtype, what, call):
        """call() must raise the library's error, its message naming `what`."""
        try:
            call()
            ok = False
        except RuntimeError as exc:
            ok = what in str(exc)
        self.flag(kernel, case, dtype, ok, f"expected an error naming '{what}'")

    def flag(self, kernel, case, dtype, ok, what):
        if not ok:
            self.failures += 1
            print(f"FAIL {kernel} {str(dtype).split('.')[1]} {case}: {what}")
        self.rows.append(ok)


def rnd(*shape, dtype, scale=1.0):
    return (torch.randn(*shape, device="cuda") * scale).to(dtype)


def test_norms(lib, res, gen):
    shapes = [(1, 2048), (gen.randint(2, 40), 4096), (gen.randint(2, 9), 1000), (5, 77), (1, 13),
              (3, 16384), (2, 20000), (gen.randint(100, 300), 2048), (1, 8)]
    for dtype in DTYPES:
        for rows, dim in shapes:
            case = f"[{rows}, {dim}]"
            eps = 1e-5 if dim % 2 else 1e-6
            w = (1.0 + 0.1 * torch.randn(dim, device="cuda")).float()
            bias = 0.1 * torch.randn(dim, device="cuda")
            x = rnd(rows, dim, dtype=dtype, scale=2.0)
            for offset in (0.0, 1.0):
                y = torch.full_like(x, NAN)
                attnc_cuda.rms_norm(lib, x, w, eps, y, offset)
                xf = x.float()
                ref = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps) * (w + offset)
                res.check("rms_norm", case + f" offset {offset}", dtype, y, ref)
            # residual add + rms norm; once in place (residual_out aliases a)
            a, b = rnd(rows, dim, dtype=dtype, scale=2.0), rnd(rows, dim, dtype=dtype)
            r_exp = (a.float() + b.float()).to(dtype)
            for in_place in (False, True):
                a_in = a.clone()
                r_out = a_in if in_place else torch.full_like(a, NAN)
                y = torch.full_like(a, NAN)
                attnc_cuda.residual_add_rms_norm(lib, a_in, b, w, eps, r_out, y)
                rf = r_exp.float()
                ref = rf * torch.rsqrt(rf.pow(2).mean(-1, keepdim=True) + eps) * w
                tag = case + (" in-place" if in_place else "")
                res.check("add_rms_norm.residual", tag, dtype, r_out, r_exp, exact=True)
                res.check("add_rms_norm", tag, dtype, y, ref)
            for with_bias in (True, False):
                y = torch.full_like(x, NAN)
                attnc_cuda.layer_norm(lib, x, w, bias if with_bias else None, eps, y)
                ref = torch.nn.functional.layer_norm(x.float(), (dim,), w,
                                                     bias if with_bias else None, eps)
                res.check("layer_norm", case + (" bias" if with_bias else ""), dtype, y, ref)
            # y aliases x
            xc = x.clone()
            attnc_cuda.layer_norm(lib, xc, w, bias, eps, xc)
            ref = torch.nn.functional.layer_norm(x.float(), (dim,), w, bias, eps)
            res.check("layer_norm", case + " in-place", dtype, xc, ref)


def rope_ref(x, pos, inv_freq, rot, style):
    """x: [T, heads, hd] float32."""
    ang = pos.float()[:, None] * inv_freq[None, :]  # [T, rot/2], f32 as HF
    c, s = torch.cos(ang)[:, None, :], torch.sin(ang)[:, None, :]
    out = x.clone()
    if style == 0:
        h = rot // 2
        x0, x1 = x[..., :h], x[..., h:rot]
        out[..., :h] = x0 * c - x1 * s
        out[..., h:rot] = x1 * c + x0 * s
    else:
        x0, x1 = x[..., 0:rot:2], x[..., 1:rot:2]
        out[..., 0:rot:2] = x0 * c - x1 * s
        out[..., 1:rot:2] = x1 * c + x0 * s
    return out


class PagedSteps:
    """A step's tokens over paged sequences: seqs [(context length, new
    tokens)], pages shuffled over a pool with spares; the cache [pages, K|V,
    page_size, kv heads, head_dim] NaN-filled, so what a kernel writes
    outside the step's slots shows."""

    def __init__(self, gen, seqs, page_size):
        self.page_size = page_size
        pages_per = [math.ceil(c / page_size) for c, _ in seqs]
        self.num_pages = sum(pages_per) + 2
        self.bps = max(pages_per) + 1
        perm = list(range(self.num_pages))
        gen.shuffle(perm)
        self.table = torch.full((len(seqs), self.bps), -1, dtype=torch.int32)
        self.positions, qs, nxt, self.seq_of = [], [0], 0, []
        for s, (ctx, nq) in enumerate(seqs):
            for b in range(pages_per[s]):
                self.table[s, b] = perm[nxt]
                nxt += 1
            self.positions += list(range(ctx - nq, ctx))
            self.seq_of += [s] * nq
            qs.append(qs[-1] + nq)
        self.T = len(self.positions)
        self.num_seqs = len(seqs)
        self.pos = torch.tensor(self.positions, dtype=torch.int32, device="cuda")
        self.qs_d = torch.tensor(qs, dtype=torch.int32, device="cuda")
        self.table_d = self.table.cuda()
        p_t = torch.tensor(self.positions).long()
        self.pages = self.table[torch.tensor(self.seq_of).long(), p_t // page_size].long().cuda()
        self.slots = (p_t % page_size).cuda()

    def cache(self, kv_heads, head_dim, dtype):
        return torch.full((self.num_pages, 2, self.page_size, kv_heads, head_dim), NAN,
                          device="cuda", dtype=dtype)

    def written(self, cache):
        """The step's keys and values in the cache, [T, kv heads, head_dim] each."""
        return cache[self.pages, 0, self.slots], cache[self.pages, 1, self.slots]

    def untouched(self, cache):
        mask = torch.ones(self.num_pages, self.page_size, dtype=torch.bool, device="cuda")
        mask[self.pages, self.slots] = False
        return bool(torch.isnan(cache.permute(0, 2, 1, 3, 4)[mask].float()).all())


def test_rope(lib, res, gen):
    # (heads, kv heads, head_dim, rotary_dim)
    configs = [(32, 4, 64, 64), (8, 8, 128, 128), (16, 2, 128, 64), (4, 1, 80, 32),
               (3, 1, 24, 10), (6, 3, 96, 96)]
    inv_ok = True
    for theta, rot in ((10000.0, 64), (500000.0, 128), (1e6, 10)):
        ours = attnc_cuda.rope_inv_freq(lib, theta, rot)
        hf = 1.0 / (theta ** (torch.arange(0, rot, 2, dtype=torch.int64).float() / rot))
        inv_ok = inv_ok and torch.allclose(ours, hf, rtol=1e-6, atol=0)
    res.flag("rope_inv_freq", "vs HF formula", torch.float32, inv_ok, "mismatch")
    for dtype in DTYPES:
        for style in (0, 1):
            for ci, (H, KVH, hd, rot) in enumerate(configs):
                fused = ci % 2 == 1  # Q/K/V as column ranges of one QKV buffer
                # the rotated query written to its own buffer from the QKV columns
                from_source = fused and ci >= 3
                page_size = gen.choice([16, 7, 1])
                seqs = [(gen.randint(1, 3000), 1), (gen.randint(200, 400), gen.randint(20, 60)),
                        (1, 1), (gen.randint(5000, 20000), 2), (40, 0)]
                seqs[1] = (seqs[1][0], seqs[1][0])  # prompt from 0
                if ci == 0:
                    seqs = [(gen.randint(1, 4000), 1)]  # single decode token, T = 1
                pg = PagedSteps(gen, seqs, page_size)
                T, pos, qs_d, table_d, bps = pg.T, pg.pos, pg.qs_d, pg.table_d, pg.bps
                cache = pg.cache(KVH, hd, dtype)
                inv = attnc_cuda.rope_inv_freq(lib, 10000.0 + 1000 * ci, rot).cuda()
                width = (H + 2 * KVH) * hd
                if fused:
                    qkv = rnd(T, width, dtype=dtype)
                    q_view, k_view, v_view = qkv[:, :H * hd], qkv[:, H * hd:(H + KVH) * hd], \
                        qkv[:, (H + KVH) * hd:]
                    strides = (width, width, width)
                else:
                    q_view = rnd(T, H * hd, dtype=dtype)
                    k_view, v_view = rnd(T, KVH * hd, dtype=dtype), rnd(T, KVH * hd, dtype=dtype)
                    strides = (H * hd, KVH * hd, KVH * hd)
                q0 = q_view.clone().view(T, H, hd)
                k0, v0 = k_view.clone(), v_view.clone()
                if from_source:
                    q_out = torch.full((T, H * hd), NAN, device="cuda", dtype=dtype)
                    attnc_cuda.rope_kv_append(lib, style, hd, rot, H, KVH, pos, inv, q_out,
                                              H * hd, k_view, strides[1], v_view, strides[2],
                                              qs_d, table_d, bps, page_size, cache.data_ptr(),
                                              query_source=q_view, query_source_stride=width)
                else:
                    q_out = q_view
                    attnc_cuda.rope_kv_append(lib, style, hd, rot, H, KVH, pos, inv, q_view,
                                              strides[0], k_view, strides[1], v_view, strides[2],
                                              qs_d, table_d, bps, page_size, cache.data_ptr())
                torch.cuda.synchronize()
                case = f"H{H}/{KVH} hd{hd} rot{rot} {'interleaved' if style else 'half'} " \
                       f"T{T} page{page_size}{' fused-qkv' if fused else ''}" \
                       f"{' query-source' if from_source else ''}"
                q_ref = rope_ref(q0.float(), pos, inv, rot, style)
                res.check("rope.q", case, dtype, q_out.reshape(T, H, hd), q_ref)
                if from_source:
                    res.check("rope.q_pass", case, dtype, q_out.view(T, H, hd)[..., rot:],
                              q0[..., rot:], exact=True)
                    res.flag("rope.q_source", case, dtype, torch.equal(q_view.view(T, H, hd), q0),
                             "query_source modified")
                k_ref = rope_ref(k0.float().view(T, KVH, hd), pos, inv, rot, style)
                got_k, got_v = pg.written(cache)
                res.check("rope.k_cache", case, dtype, got_k, k_ref)
                # rotary pass-through dims of K are copied exactly
                res.check("rope.k_pass", case, dtype, got_k[..., rot:],
                          k0.view(T, KVH, hd)[..., rot:], exact=True)
                res.check("rope.v_cache", case, dtype, got_v, v0.view(T, KVH, hd), exact=True)
                res.flag("rope.inputs", case, dtype,
                         torch.equal(k_view, k0) and torch.equal(v_view, v0), "K/V input modified")
                res.flag("rope.untouched", case, dtype, pg.untouched(cache),
                         "a slot outside the step was written")
            # key == NULL: query only
            H, hd, rot = 8, 64, 32
            T = 5
            pos = torch.randint(0, 9000, (T,), dtype=torch.int32, device="cuda")
            inv = attnc_cuda.rope_inv_freq(lib, 10000.0, rot).cuda()
            q = rnd(T, H, hd, dtype=dtype)
            q0 = q.clone()
            attnc_cuda.rope_kv_append(lib, style, hd, rot, H, 0, pos, inv, q, H * hd)
            res.check("rope.q_only", f"T{T} {style}", dtype, q, rope_ref(q0.float(), pos, inv, rot,
                                                                            style))
            # refused: a query source whose rows are shorter than num_heads * head_dim
            res.refused("rope.query_source_refused", f"{style}", dtype, "query_source needs",
                        lambda: attnc_cuda.rope_kv_append(lib, style, hd, rot, H, 0, pos, inv, q,
                                                          H * hd, query_source=q0,
                                                          query_source_stride=H * hd - 1))


def test_activations(lib, res, gen):
    ref_act = {"silu": torch.nn.functional.silu,
               "gelu": lambda x: torch.nn.functional.gelu(x),
               "gelu_tanh": lambda x: torch.nn.functional.gelu(x, approximate="tanh"),
               "relu": torch.relu}
    for dtype in DTYPES:
        for act, f in ref_act.items():
            for n in (1, 7, 2048, 5632 * 3 + 5):
                x = rnd(n, dtype=dtype, scale=3.0)
                y = torch.full_like(x, NAN)
                attnc_cuda.activation(lib, act, x, y)
                res.check(f"act.{act}", f"n{n}", dtype, y, f(x.float()))
            if act == "relu":
                continue
            for rows, width in ((1, 5632), (gen.randint(2, 70), 5632), (5, 37), (3, 8),
                                (gen.randint(100, 400), 2816)):
                gu = rnd(rows, 2 * width, dtype=dtype, scale=2.0)
                out = torch.full((rows, width), NAN, device="cuda", dtype=dtype)
                attnc_cuda.gated_activation(lib, act, gu, 2 * width, gu[:, width:], 2 * width, out,
                                            rows, width)
                ref = f(gu[:, :width].float()) * gu[:, width:].float()
                res.check(f"gated.{act}", f"fused [{rows}, 2x{width}]", dtype, out, ref)
                g, u = rnd(rows, width, dtype=dtype, scale=2.0), rnd(rows, width, dtype=dtype)
                out = torch.full((rows, width), NAN, device="cuda", dtype=dtype)
                attnc_cuda.gated_activation(lib, act, g, width, u, width, out, rows, width)
                res.check(f"gated.{act}", f"separate [{rows}, {width}]", dtype, out,
                          f(g.float()) * u.float())


def test_embedding(lib, res, gen):
    for dtype in DTYPES:
        for vocab, dim in ((32000, 2048), (1000, 77), (50, 8)):
            big = rnd(vocab + 2, dim, dtype=dtype)
            big[0] = NAN
            big[-1] = NAN  # guards around the table: a read of id -1 or vocab shows
            table = big[1:vocab + 1]
            for T in (1, gen.randint(2, 20), 300):
                ids = torch.randint(0, vocab, (T,), dtype=torch.int32, device="cuda")
                for scale in (1.0, math.sqrt(dim)):
                    out = torch.full((T, dim), NAN, device="cuda", dtype=dtype)
                    bad = torch.full((2,), 77, dtype=torch.int32, device="cuda")
                    attnc_cuda.embedding(lib, ids, table, scale, out, bad)
                    case = f"vocab{vocab} dim{dim} T{T} scale{scale:.2f}"
                    ref = table[ids.long()].float() * scale
                    res.check("embedding", case, dtype, out, ref, exact=scale == 1.0)
                    res.flag("embedding.report", case, dtype, bad.tolist() == [0, -1],
                             f"bad_ids {bad.tolist()} for valid ids")
            T = 9
            ids = torch.randint(0, vocab, (T,), dtype=torch.int32, device="cuda")
            ids[2], ids[6] = -1, vocab
            out = torch.full((T, dim), NAN, device="cuda", dtype=dtype)
            bad = torch.zeros(2, dtype=torch.int32, device="cuda")
            attnc_cuda.embedding(lib, ids, table, 1.0, out, bad)
            ref = table[ids.long().clamp(0, vocab - 1)].clone()
            ref[2] = 0
            ref[6] = 0
            case = f"vocab{vocab} dim{dim} out-of-range ids"
            res.check("embedding.bad", case, dtype, out, ref, exact=True)
            res.flag("embedding.report", case, dtype, bad.tolist() == [2, 6],
                     f"bad_ids {bad.tolist()}, expected [2, 6]")


def test_linear(lib, res, gen):
    lin = attnc_cuda.Linear(lib)
    shapes = [(1, 2048, 2048), (16, 2048, 5632), (gen.randint(17, 90), 5632, 2048), (1, 37, 53),
              (5, 64, 48), (2048, 2048, 2048), (3, 4096, 11), (1, 2048, 32000), (7, 13, 8)]
    for dtype in DTYPES:
        for T, K, N in shapes:
            x = rnd(T, K, dtype=dtype)
            w = rnd(N, K, dtype=dtype, scale=1.0 / math.sqrt(K))
            b = rnd(N, dtype=dtype)
            for bias in (None, b):
                y = torch.full((T, N), NAN, device="cuda", dtype=dtype)
                lin(x, w, bias, y)
                ref = x.double() @ w.double().t()
                if bias is not None:
                    ref = ref + bias.double()
                res.check("linear", f"T{T} K{K} N{N}{' bias' if bias is not None else ''}", dtype,
                          y, ref)
        # run again on the cached plan with fresh inputs
        T, K, N = shapes[0]
        x, w = rnd(T, K, dtype=dtype), rnd(N, K, dtype=dtype, scale=1.0 / math.sqrt(K))
        y = torch.full((T, N), NAN, device="cuda", dtype=dtype)
        lin(x, w, None, y)
        res.check("linear", "cached plan", dtype, y, x.double() @ w.double().t())


def test_elementwise(lib, res, gen):
    """add_scaled (residual_add[_scaled]), scale, softcap, to_f32; views offset
    by one element run the scalar path on sizes the vector path would take."""
    for dtype in DTYPES:
        for n in (1, 7, 2048, 5632 * 3 + 5, gen.randint(9, 5000) * 8):
            for offset in (0, 1):
                case = f"n{n}{' unaligned' if offset else ''}"
                a = rnd(n + offset, dtype=dtype, scale=2.0)[offset:]
                b = rnd(n + offset, dtype=dtype)[offset:]
                for sc in (1.0, 0.22):
                    out = torch.full_like(a, NAN)
                    attnc_cuda.add_scaled(lib, a, b, sc, out)
                    ref = a.float() + b.float() * sc
                    res.check("add_scaled", f"{case} scale{sc}", dtype, out,
                              ref.to(dtype) if sc == 1.0 else ref, exact=sc == 1.0)
                # out aliases a, then b
                ref = a.float() + b.float() * 0.5
                a2, b2 = a.clone(), b.clone()
                attnc_cuda.add_scaled(lib, a2, b, 0.5, a2)
                attnc_cuda.add_scaled(lib, a, b2, 0.5, b2)
                res.check("add_scaled", case + " out=a", dtype, a2, ref)
                res.check("add_scaled", case + " out=b", dtype, b2, ref)
                x = rnd(n + offset, dtype=dtype, scale=3.0)[offset:]
                y = torch.full_like(x, NAN)
                attnc_cuda.scale(lib, x, 0.37, y)
                res.check("scale", case, dtype, y, (x.float() * 0.37).to(dtype), exact=True)
                xc = x.clone()
                attnc_cuda.scale(lib, xc, 0.37, xc)
                res.check("scale", case + " in-place", dtype, xc, (x.float() * 0.37).to(dtype),
                          exact=True)
                big = rnd(n + offset, dtype=dtype, scale=40.0)[offset:]
                for cap in (30.0, 5.0):
                    y = torch.full_like(big, NAN)
                    attnc_cuda.softcap(lib, big, cap, y)
                    res.check("softcap", f"{case} cap{cap}", dtype, y,
                              cap * torch.tanh(big.float() / cap))
                bc = big.clone()
                attnc_cuda.softcap(lib, bc, 30.0, bc)
                res.check("softcap", case + " in-place", dtype, bc,
                          30.0 * torch.tanh(big.float() / 30.0))
                y = torch.full((n + offset,), NAN, device="cuda")[offset:]
                attnc_cuda.to_f32(lib, x, y)
                res.check("to_f32", case, dtype, y, x.float(), exact=True)
                if dtype == torch.float32:  # already f32: a copy, none in place
                    xc = x.clone()
                    attnc_cuda.to_f32(lib, xc, xc)
                    res.check("to_f32", case + " in-place", dtype, xc, x, exact=True)


def test_gather(lib, res, gen):
    # (dtype, width): 16-byte, 4-byte, 2-byte and 1-byte copy units
    cases = [(d, w) for d in DTYPES for w in (2048, 37, 8, 1)] + \
        [(torch.float32, 37), (torch.float32, 32000), (torch.uint8, 37), (torch.uint8, 64)]
    for dtype, width in cases:
        rows = gen.randint(1, 300)
        if dtype == torch.uint8:
            big = torch.randint(0, 255, (rows + 2, width), dtype=dtype, device="cuda")
        else:
            big = rnd(rows + 2, width, dtype=dtype)
            big[0] = NAN
            big[-1] = NAN  # guards: a read of index -1 or rows shows
        src = big[1:rows + 1]
        fill = 77 if dtype == torch.uint8 else NAN
        for count in (1, 5, gen.randint(6, 40)):
            index = torch.randint(0, rows, (count,), dtype=torch.int32, device="cuda")
            dst = torch.full((count, width), fill, device="cuda", dtype=dtype)
            bad = torch.full((2,), 77, dtype=torch.int32, device="cuda")
            attnc_cuda.gather_rows(lib, src, index, dst, bad)
            case = f"rows{rows} width{width} count{count}"
            res.check("gather_rows", case, dtype, dst, src[index.long()], exact=True)
            res.flag("gather_rows.report", case, dtype, bad.tolist() == [0, -1],
                     f"bad {bad.tolist()} for valid indices")
        count = 6
        index = torch.randint(0, rows, (count,), dtype=torch.int32, device="cuda")
        index[1], index[3] = -1, rows
        dst = torch.full((count, width), fill, device="cuda", dtype=dtype)
        bad = torch.zeros(2, dtype=torch.int32, device="cuda")
        attnc_cuda.gather_rows(lib, src, index, dst, bad)
        ref = src[index.long().clamp(0, rows - 1)].clone()
        ref[1] = 0
        ref[3] = 0
        case = f"rows{rows} width{width} out-of-range"
        res.check("gather_rows.bad", case, dtype, dst, ref, exact=True)
        res.flag("gather_rows.report", case, dtype, bad.tolist() == [2, 3],
                 f"bad {bad.tolist()}, expected [2, 3]")
    empty = torch.zeros(0, dtype=torch.int32, device="cuda")
    bad = torch.full((2,), 77, dtype=torch.int32, device="cuda")
    src = rnd(4, 8, dtype=torch.float16)
    attnc_cuda.gather_rows(lib, src, empty, src, bad)
    res.flag("gather_rows.report", "count 0", torch.float16, bad.tolist() == [0, -1],
             f"bad {bad.tolist()}")


def argmax_ref(row):
    """runtime/ModelABI.h's greedy token of one row (a list of floats), scanned
    in plain Python: -1 - i for the first NaN or +inf at i; INT32_MIN for a
    row of -inf; else the lowest index of the maximum (-0 == +0)."""
    best, best_i = -math.inf, None
    for i, v in enumerate(row):
        if math.isnan(v) or v == math.inf:
            return -1 - i
        if v > best:
            best, best_i = v, i
    return -(1 << 31) if best_i is None else best_i


def test_argmax(lib, res, gen):
    """attnc_cuda_argmax_rows: random rows (vocab sizes with and without the
    16-byte path, odd ones), planted ties (equal maxima, -0 against +0), NaN
    / +inf anywhere, -inf masks, rows of -inf; against argmax_ref."""
    for dtype in DTYPES:
        for cols in (32000, 151936, 8, 37, 1, gen.randint(2, 5000)):
            rows = gen.choice((1, 2, 16, gen.randint(3, 40)))
            rows = max(1, min(rows, 2_000_000 // cols))  # the reference is a Python loop
            x = rnd(rows, cols, dtype=dtype, scale=3.0)
            for r in range(rows):
                kind = gen.randrange(7)
                a, b = gen.randrange(cols), gen.randrange(cols)
                if kind == 1:    # equal maxima
                    x[r, a] = x[r, b] = 100.0
                elif kind == 2:  # -0 and +0 the maxima
                    x[r] = -1.0
                    x[r, a], x[r, b] = -0.0, 0.0
                elif kind == 3:  # a NaN after or before the maximum
                    x[r, a], x[r, b] = NAN, 50.0
                elif kind == 4:
                    x[r, a] = math.inf
                elif kind == 5:  # masked tokens, one of them the largest position
                    x[r, :cols // 2] = -math.inf
                elif kind == 6 and r % 3 == 0:  # nothing but -inf
                    x[r] = -math.inf
            out = torch.full((rows,), 12345, dtype=torch.int32, device="cuda")
            attnc_cuda.argmax_rows(lib, x, out)
            rows_f = x.float().cpu().tolist()
            ref = torch.tensor([argmax_ref(row) for row in rows_f], dtype=torch.int32)
            res.check("argmax_rows", f"[{rows}, {cols}]", dtype, out.cpu(), ref, exact=True)
    # An unaligned row start (offset view) takes the scalar path.
    x = rnd(3, 33, dtype=torch.float16)
    view = x.view(-1)[1:1 + 2 * 32].view(2, 32)
    out = torch.zeros(2, dtype=torch.int32, device="cuda")
    attnc_cuda.argmax_rows(lib, view, out)
    ref = torch.tensor([argmax_ref(row) for row in view.float().cpu().tolist()], dtype=torch.int32)
    res.check("argmax_rows", "unaligned [2, 32]", torch.float16, out.cpu(), ref, exact=True)


def rope_table_ref(x, c, s, rot, style):
    """x [T, heads, hd] f32; c, s [T, rot/2] (the tables' rows of each token)."""
    c, s = c[:, None, :], s[:, None, :]
    out = x.clone()
    if style == 0:
        h = rot // 2
        x0, x1 = x[..., :h], x[..., h:rot]
        out[..., :h] = x0 * c - x1 * s
        out[..., h:rot] = x1 * c + x0 * s
    else:
        x0, x1 = x[..., 0:rot:2], x[..., 1:rot:2]
        out[..., 0:rot:2] = x0 * c - x1 * s
        out[..., 1:rot:2] = x1 * c + x0 * s
    return out


def test_rope_table(lib, res, gen):
    configs = [(32, 64, 64), (8, 128, 128), (16, 128, 64), (4, 80, 32), (3, 24, 10), (6, 96, 96)]
    for dtype in DTYPES:
        for style in (0, 1):
            for ci, (H, hd, rot) in enumerate(configs):
                rows = gen.randint(2000, 9000)
                # A scaled table (as YaRN's attention factor): not cos/sin of a plain angle,
                # so a kernel recomputing angles fails.
                inv = attnc_cuda.rope_inv_freq(lib, 10000.0 + 1000 * ci, rot).cuda()
                ang = torch.arange(rows, device="cuda").float()[:, None] * inv[None, :] * 0.75
                cos, sin = torch.cos(ang) * 1.1, torch.sin(ang) * 1.1
                for T in (1, 7, gen.randint(100, 400)):
                    fused = (ci + T) % 2 == 1  # x as the Q columns of a wider buffer
                    pos = torch.randint(0, rows, (T,), dtype=torch.int32, device="cuda")
                    if fused:
                        width = (H + 2) * hd
                        buf = rnd(T, width, dtype=dtype)
                        x, stride = buf[:, :H * hd], width
                    else:
                        buf = rnd(T, H * hd, dtype=dtype)
                        x, stride = buf, H * hd
                    before = buf.clone()
                    bad = torch.full((2,), 77, dtype=torch.int32, device="cuda")
                    attnc_cuda.rope_table(lib, style, hd, rot, H, pos, cos, sin, x, stride, bad)
                    p = pos.long()
                    ref = rope_table_ref(before[:, :H * hd].float().reshape(T, H, hd), cos[p], sin[p],
                                         rot, style)
                    case = f"H{H} hd{hd} rot{rot} {'interleaved' if style else 'half'} T{T}" \
                           f"{' strided' if fused else ''}"
                    res.check("rope_table", case, dtype, x.reshape(T, H, hd), ref)
                    res.check("rope_table.pass", case, dtype, x.reshape(T, H, hd)[..., rot:],
                              before[:, :H * hd].reshape(T, H, hd)[..., rot:], exact=True)
                    if fused:
                        res.check("rope_table.rest", case, dtype, buf[:, H * hd:],
                                  before[:, H * hd:], exact=True)
                    res.flag("rope_table.report", case, dtype, bad.tolist() == [0, -1],
                             f"bad {bad.tolist()} for valid positions")
            # positions outside the table: those tokens untouched and reported
            H, hd, rot, rows, T = 4, 64, 64, 100, 6
            inv = attnc_cuda.rope_inv_freq(lib, 10000.0, rot).cuda()
            ang = torch.arange(rows, device="cuda").float()[:, None] * inv[None, :]
            cos, sin = torch.cos(ang), torch.sin(ang)
            pos = torch.randint(0, rows, (T,), dtype=torch.int32, device="cuda")
            pos[2], pos[4] = -1, rows
            x = rnd(T, H * hd, dtype=dtype)
            before = x.clone()
            bad = torch.zeros(2, dtype=torch.int32, device="cuda")
            attnc_cuda.rope_table(lib, style, hd, rot, H, pos, cos, sin, x, H * hd, bad)
            p = pos.long().clamp(0, rows - 1)
            ref = rope_table_ref(before.float().view(T, H, hd), cos[p], sin[p], rot, style)
            ok = [t for t in range(T) if t not in (2, 4)]
            case = f"{'interleaved' if style else 'half'} out-of-range positions"
            res.check("rope_table", case, dtype, x.view(T, H, hd)[ok], ref[ok])
            res.check("rope_table.bad", case, dtype, x[[2, 4]], before[[2, 4]], exact=True)
            res.flag("rope_table.report", case, dtype, bad.tolist() == [2, 4],
                     f"bad {bad.tolist()}, expected [2, 4]")


# The 1.1B Llama projections (K, N): fused qkv, o, gate+up, down, lm_head.
LLAMA_1B_SHAPES = ((2048, 2560), (2048, 2048), (2048, 11264), (5632, 2048), (2048, 32000))
GEMV_TOKENS = (1, 2, 5, 8, 17, 64)
# ATTNC_TEST_QUICK=1: the gemv / quantized_linear groups without the 1.1B shapes and with
# fewer token counts (every kernel path still runs), for compute-sanitizer.
QUICK = os.environ.get("ATTNC_TEST_QUICK") == "1"
if QUICK:
    LLAMA_1B_SHAPES = ((2048, 96),)
    GEMV_TOKENS = (1, 5, 17)


def test_gemv(lib, res, gen):
    """attnc_cuda_gemv (tensor cores when aligned and K % 8 == 0, else the
    CUDA-core path), and attnc_cuda_linear with and without its GEMV dispatch."""
    shapes = list(LLAMA_1B_SHAPES) + [(2048, 37), (64, 1), (40, 77), (gen.randint(1, 40) * 8, 203),
                                      (37, 53), (13, 8)]
    lin = attnc_cuda.Linear(lib, gemv_max_tokens=8)  # the dispatch, whatever the default
    lin_lt = attnc_cuda.Linear(lib, gemv_max_tokens=0)
    for dtype in DTYPES:
        for si, (K, N) in enumerate(shapes):
            w = rnd(N, K, dtype=dtype, scale=1.0 / math.sqrt(K))
            b = rnd(N, dtype=dtype)
            for ti, T in enumerate(GEMV_TOKENS):
                big = K * N > 1 << 24
                if big and dtype == torch.float32 and T > 8:
                    continue  # the CUDA-core path re-reads W per 8 tokens: slow, covered below
                x = rnd(T, K, dtype=dtype)
                bias = b if (si + ti) % 2 == 0 else None
                ref = x.double() @ w.double().t()
                if bias is not None:
                    ref = ref + bias.double()
                # Few outputs (N = 1) may cancel: errors against the sum of |terms|.
                mag = float((x.double().abs() @ w.double().abs().t()).max())
                case = f"T{T} K{K} N{N}{' bias' if bias is not None else ''}"
                y = torch.full((T, N), NAN, device="cuda", dtype=dtype)
                attnc_cuda.gemv(lib, x, w, bias, y)
                res.check("gemv", case, dtype, y, ref, scale=mag)
                if T in (1, 8) or not big:
                    y = torch.full((T, N), NAN, device="cuda", dtype=dtype)
                    lin(x, w, bias, y)
                    res.check("gemv.linear_dispatch", case, dtype, y, ref, scale=mag)
                if T in (1, 8) and big:
                    y = torch.full((T, N), NAN, device="cuda", dtype=dtype)
                    lin_lt(x, w, bias, y)
                    res.check("gemv.linear_cublaslt", case, dtype, y, ref, scale=mag)
        # x one element off 16-byte alignment: the CUDA-core path
        K, N = 2048, 96
        w = rnd(N, K, dtype=dtype, scale=1.0 / math.sqrt(K))
        for T in (1, 5):
            x = rnd(T * K + 1, dtype=dtype)[1:].view(T, K)
            y = torch.full((T, N), NAN, device="cuda", dtype=dtype)
            attnc_cuda.gemv(lib, x, w, None, y)
            res.check("gemv", f"T{T} K{K} N{N} unaligned x", dtype, y, x.double() @ w.double().t())


def quantize_ref(w, bits, group, asym):
    """runtime/QuantizedWeights.h quantization of an f32 [N, K] weight:
    (values, scales, zeros or None)."""
    N, K = w.shape
    if bits == 8 and not group:
        s = w.abs().amax(1) / 127
        s[s == 0] = 1
        q = torch.clamp(torch.round(w / s[:, None]), -127, 127).to(torch.int8)
        return q, s.contiguous(), None
    wg = w.view(N, K // group, group)
    if asym:
        levels = 2 ** bits - 1  # 15 / 255
        lo = wg.amin(2).clamp(max=0)
        hi = wg.amax(2).clamp(min=0)
        s = (hi - lo) / levels
        s[hi == lo] = 1
        z = torch.clamp(torch.round(-lo / s), 0, levels)
        q = torch.clamp(torch.round(wg / s[..., None]) + z[..., None], 0, levels)
        z = z.to(torch.uint8).contiguous()
    else:
        limit = 2 ** (bits - 1) - 1  # 7 / 127; 4-bit values are stored q + 8
        s = wg.abs().amax(2) / limit
        s[s == 0] = 1
        q = torch.clamp(torch.round(wg / s[..., None]), -limit, limit) + (8 if bits == 4 else 0)
        z = None
    if bits == 8:
        return q.view(N, K).to(torch.uint8 if asym else torch.int8), s.contiguous(), z
    q = q.view(N, K).to(torch.uint8)
    packed = (q[:, 0::2] | (q[:, 1::2] << 4)).contiguous()  # k = 2j low nibble, 2j + 1 high
    return packed, s.contiguous(), z


def dequantize_ref(values, scales, zeros, bits, group, K):
    """W ~ q * s (w8) or (q - z) * s (w8g: z = 0 when symmetric; w4: z = 8 when
    symmetric), in float64."""
    if bits == 8 and not group:
        return values.double() * scales.double()[:, None]
    N = values.shape[0]
    if bits == 8:
        q = values.double()
        z = zeros.double() if zeros is not None else torch.zeros_like(scales).double()
    else:
        q = torch.stack([values & 15, values >> 4], -1).view(N, K).double()
        z = zeros.double() if zeros is not None else torch.full_like(scales, 8).double()
    return (q - z.repeat_interleave(group, 1)) * scales.double().repeat_interleave(group, 1)


def test_quantized_linear(lib, res, gen):
    schemes = [(8, 0, False), (4, 32, False), (4, 64, False), (4, 128, False), (4, 32, True),
               (4, 64, True), (4, 128, True), (8, 32, False), (8, 64, True), (8, 128, False),
               (8, 128, True)]
    # (K, N): the 1.1B shapes, odd N, K = 384 (3 groups of 128), K = 40 / 96 (w8: not a
    # multiple of 16 -> CUDA-core path; w4 only where the group divides K)
    shapes = list(LLAMA_1B_SHAPES) + [(2048, 37), (128, 1), (384, 77), (40, 9), (96, 203)]
    for si, (K, N) in enumerate(shapes):
        big = K * N > 1 << 24
        for bits, group, asym in schemes:
            if group and K % group:
                continue
            w = torch.randn(N, K, device="cuda") / math.sqrt(K)
            if si % 3 == 0:
                w[0, :] = 0  # all-zero row / groups: scale 1
            values, scales, zeros = quantize_ref(w, bits, group, asym)
            wdq = dequantize_ref(values, scales, zeros, bits, group, K)
            name = f"w{bits}" + (f"g{group}" if group else "") + ("a" if asym else "")
            for dtype in DTYPES:
                b = rnd(N, dtype=dtype)
                for ti, T in enumerate(GEMV_TOKENS):
                    if big and (dtype == torch.float32 or bits == 4 and group != 128
                                or asym or bits == 8 and group) and T not in (1, 8):
                        continue  # keep the run short: every path still meets every shape
                    x = rnd(T, K, dtype=dtype)
                    bias = b if (si + ti) % 2 == 0 else None
                    ref = x.double() @ wdq.t()
                    if bias is not None:
                        ref = ref + bias.double()
                    y = torch.full((T, N), NAN, device="cuda", dtype=dtype)
                    attnc_cuda.quantized_linear(lib, bits, group, asym, x, values, scales, zeros,
                                                bias, N, y)
                    res.check(f"quantized_linear.{name}",
                              f"T{T} K{K} N{N}{' bias' if bias is not None else ''}", dtype, y,
                              ref, scale=float((x.double().abs() @ wdq.abs().t()).max()))
                if not big:
                    # x one element off alignment: the CUDA-core path
                    T = 3
                    x = rnd(T * K + 1, dtype=dtype)[1:].view(T, K)
                    y = torch.full((T, N), NAN, device="cuda", dtype=dtype)
                    attnc_cuda.quantized_linear(lib, bits, group, asym, x, values, scales, zeros,
                                                None, N, y)
                    res.check(f"quantized_linear.{name}", f"T{T} K{K} N{N} unaligned x", dtype, y,
                              x.double() @ wdq.t(),
                              scale=float((x.double().abs() @ wdq.abs().t()).max()))
    # refused: unsupported schemes, K not a multiple of the group, no zero points
    x = rnd(1, 96, dtype=torch.float16)
    v = torch.zeros(4, 48, dtype=torch.uint8, device="cuda")
    s = torch.ones(4, 3, device="cuda")
    y = torch.zeros(1, 4, device="cuda", dtype=torch.float16)
    for bits, group, asym, zeros, what in ((4, 16, False, None, "unsupported scheme"),
                                           (8, 16, False, None, "unsupported scheme"),
                                           (8, 0, True, None, "unsupported scheme"),
                                           (4, 64, False, None, "multiple of the group"),
                                           (8, 64, False, None, "multiple of the group"),
                                           (4, 32, True, None, "without zero points"),
                                           (8, 32, True, None, "without zero points")):
        res.refused("quantized_linear.refused", f"bits{bits} g{group} asym{asym}", torch.float16,
                    what, lambda: attnc_cuda.quantized_linear(lib, bits, group, asym, x, v, s,
                                                              zeros, None, 4, y))


def act_ref(act, g):
    """The gated activations in float64."""
    return {"silu": lambda: g * torch.sigmoid(g),
            "gelu_tanh": lambda: 0.5 * g * (1 + torch.tanh(
                math.sqrt(2 / math.pi) * (g + 0.044715 * g ** 3))),
            "gelu": lambda: 0.5 * g * (1 + torch.erf(g / math.sqrt(2))),
            "relu": lambda: g.clamp(min=0)}[act]()


def quantized_weights(schemes, K, N):
    """(name, bits, group, asym, values, scales, zeros, dequantized float64)
    of a fresh random [N, K] weight per scheme whose group divides K."""
    for bits, group, asym in schemes:
        if group and K % group:
            continue
        w = torch.randn(N, K, device="cuda") / math.sqrt(K)
        values, scales, zeros = quantize_ref(w, bits, group, asym)
        wdq = dequantize_ref(values, scales, zeros, bits, group, K)
        name = f"w{bits}" + (f"g{group}" if group else "") + ("a" if asym else "")
        yield name, bits, group, asym, values, scales, zeros, wdq


def rms_norm_input(inp, T, K, dtype, variant):
    """A residual stream's scale with outlier channels, as an RMS_NORM
    LinearInput; returns (tensors to keep alive, the normalized x rounded to
    dtype as the runtime stores it)."""
    x = rnd(T, K, dtype=dtype) * 20
    x[:, ::37] *= 30
    nw = (1 + 0.1 * torch.randn(K, device="cuda")).float()
    off, eps = (1.0, 1e-6) if variant % 2 else (0.0, 1e-5)
    xd = x.double()
    inv = 1 / torch.sqrt((xd * xd).mean(1, keepdim=True) + eps)
    xf = (xd * inv * (nw.double() + off)).to(dtype)
    inp.kind, inp.x, inp.x_stride = attnc_cuda.LinearInput.RMS_NORM, x.data_ptr(), K
    inp.norm_weight, inp.norm_offset, inp.norm_eps = nw.data_ptr(), off, eps
    return (x, nw), xf


def plain_or_norm_input(inp, T, K, dtype, norm, variant):
    """A random x as a PLAIN LinearInput, or rms_norm_input's; returns (tensors
    to keep alive, x as the linear sees it)."""
    if norm:
        return rms_norm_input(inp, T, K, dtype, variant)
    x = rnd(T, K, dtype=dtype)
    inp.kind, inp.x, inp.x_stride = attnc_cuda.LinearInput.PLAIN, x.data_ptr(), K
    return x, x


def stored_product(xf, wdq, bias, dtype):
    """x . W^T (+ bias) in float64, rounded to dtype as a stored product is."""
    p = xf.double() @ wdq.t()
    if bias is not None:
        p = p + bias.double()
    return p.to(dtype).double()


def test_quantized_linear_fused(lib, res, gen):
    """attnc_cuda_quantized_linear_fused: x formed by an RMS norm or act(gate) * up
    (gate and up column ranges of one [T, 2K] buffer, as a fused gate+up
    projection leaves them), the residual added; one kernel in decode, the
    pieces through scratch otherwise (T > 8, f32, w8g*). Reference: torch
    float64 forming x from the same stored inputs, rounded to the dtype as
    the runtime stores x, times the dequantized weights."""
    schemes = [(8, 0, False), (4, 128, False), (4, 32, True), (8, 64, True)]
    shapes = [(2048, 2560), (5632, 2048), (256, 77), (96, 40)]  # (K, N); 5632: > 1 batch
    acts = ("silu", "gelu_tanh", "gelu")
    LI = attnc_cuda.LinearInput
    for si, (K, N) in enumerate(shapes):
        for name, bits, group, asym, values, scales, zeros, wdq in quantized_weights(schemes, K, N):
            for dtype in DTYPES:
                for ci, T in enumerate((1, 5, 8, 17)):
                    # decode of w4 and w8 with a scale per channel (decode_kernel):
                    # every input kind (each its own kernel path)
                    one_kernel = bits == 4 or group == 0
                    for kind in (range(3) if one_kernel and T <= 8 else [(si + ci) % 3]):
                        residual = rnd(T, N, dtype=dtype) if (si + ci) % 2 == 0 else None
                        bias = rnd(N, dtype=dtype) if ci % 2 else None
                        inp = LI()
                        scratch = torch.full((T, K), NAN, device="cuda", dtype=dtype)
                        if kind == LI.GATED:
                            act = acts[(si + ci) % 3]
                            gu = rnd(T, 2 * K, dtype=dtype)
                            g, u = gu[:, :K].double(), gu[:, K:].double()
                            xf = (act_ref(act, g) * u).to(dtype)
                            inp.kind, inp.x, inp.x_stride = LI.GATED, gu.data_ptr(), 2 * K
                            inp.up, inp.up_stride = gu[:, K:].data_ptr(), 2 * K
                            inp.act = attnc_cuda.ACT[act]
                            case = f"gated {act}"
                        elif kind == LI.RMS_NORM:
                            keep, xf = rms_norm_input(inp, T, K, dtype, ci)
                            case = "rms_norm"
                        else:
                            x = rnd(T, K, dtype=dtype)
                            xf = x
                            inp.kind, inp.x, inp.x_stride = LI.PLAIN, x.data_ptr(), K
                            case = "plain"
                        ref = xf.double() @ wdq.t()
                        if bias is not None:
                            ref = ref + bias.double()
                        mag = float((xf.double().abs() @ wdq.abs().t()).max())
                        if residual is not None:
                            ref = ref.to(dtype).double() + residual.double()
                            mag += float(residual.double().abs().max())
                        y = torch.full((T, N), NAN, device="cuda", dtype=dtype)
                        attnc_cuda.quantized_linear_fused(lib, bits, group, asym, inp, T, K, values,
                                                          scales, zeros, bias, residual, N, scratch, y)
                        res.check(f"quantized_linear_fused.{name}",
                                  f"T{T} K{K} N{N} {case}{' bias' if bias is not None else ''}"
                                  f"{' residual' if residual is not None else ''}", dtype, y, ref,
                                  scale=mag)
    # refused: a strided input that is not gated, no scratch where it is needed
    x = rnd(17, 256, dtype=torch.float16)
    values, scales, _ = quantize_ref(torch.randn(8, 128, device="cuda"), 4, 128, False)
    y = torch.zeros(17, 8, device="cuda", dtype=torch.float16)
    for stride, kind, up, what in ((256, LI.PLAIN, True, "strided input"),
                                   (128, LI.GATED, True, "no scratch"),
                                   (64, LI.PLAIN, True, "x_stride is less than in_features"),
                                   (128, LI.GATED, False, "gated input without up"),
                                   (128, LI.RMS_NORM, True, "rms_norm input without norm_weight"),
                                   (128, 7, True, "unknown input kind")):
        inp = LI()
        inp.kind, inp.x, inp.x_stride, inp.up, inp.up_stride = kind, x.data_ptr(), stride, \
            x.data_ptr() if up else None, stride
        res.refused("quantized_linear_fused.refused", what, torch.float16, what,
                    lambda: attnc_cuda.quantized_linear_fused(lib, 4, 128, False, inp, 17, 128,
                                                              values, scales, None, None, None, 8,
                                                              None, y))


def test_quantized_linear_gated(lib, res, gen):
    """attnc_cuda_quantized_linear_gated: act(gate) * up of a fused gate+up
    projection's two halves (the gate's rows first), x plain or RMS-normalized;
    one kernel in 4-bit decode (each row tile pairs 8 gate rows with their up
    rows), the product through `product` otherwise (T > 8, f32, 8-bit).
    Reference: torch float64 with the product's halves rounded to the dtype
    (as a stored product is), the activation on them."""
    schemes = [(4, 128, False), (4, 32, True), (4, 64, False), (8, 0, False)]
    # (K, gate rows): the 1.1B gate_up; gate rows not a multiple of 8 (a
    # partial last tile); a small K
    shapes = [(2048, 5632), (256, 77), (128, 8), (384, 200)]
    acts = ("silu", "gelu_tanh", "gelu", "relu")
    LI = attnc_cuda.LinearInput
    for si, (K, I) in enumerate(shapes):
        N = 2 * I
        for name, bits, group, asym, values, scales, zeros, wdq in quantized_weights(schemes, K, N):
            for dtype in DTYPES:
                for ci, T in enumerate((1, 3, 8, 17)):
                    for norm in (False, True):
                        act = acts[(si + ci + norm) % 4]
                        bias = rnd(N, dtype=dtype) if (ci + norm) % 2 else None
                        inp = LI()
                        keep, xf = plain_or_norm_input(inp, T, K, dtype, norm, ci)
                        p = stored_product(xf, wdq, bias, dtype)
                        gate, up = p[:, :I], p[:, I:]
                        ref = act_ref(act, gate) * up
                        # an error of one product's rounding passes through the activation
                        mag = float((xf.double().abs() @ wdq.abs().t()).max()) * \
                            max(1.0, float(gate.abs().max()), float(up.abs().max()))
                        scratch = torch.full((T, K), NAN, device="cuda", dtype=dtype)
                        product = torch.full((T, N), NAN, device="cuda", dtype=dtype)
                        y = torch.full((T, I), NAN, device="cuda", dtype=dtype)
                        attnc_cuda.quantized_linear_gated(lib, bits, group, asym, inp, T, K, values,
                                                          scales, zeros, bias, act, N, scratch,
                                                          product, y)
                        res.check(f"quantized_linear_gated.{name}",
                                  f"T{T} K{K} I{I} {act}{' norm' if norm else ''}"
                                  f"{' bias' if bias is not None else ''}", dtype, y, ref,
                                  scale=mag)
    # refused: an odd product width, an unknown activation, a gated input, no
    # product buffer where the pieces run (f32: no one-kernel path)
    values, scales, _ = quantize_ref(torch.randn(16, 128, device="cuda"), 4, 128, False)
    for N, kind, act, dtype, what in (
            (15, LI.PLAIN, 0, torch.float16, "out_features must be even"),
            (16, LI.PLAIN, 9, torch.float16, "unknown activation"),
            (16, LI.GATED, 0, torch.float16, "a gated input cannot feed a gated output"),
            (16, LI.PLAIN, 0, torch.float32, "no product buffer")):
        x = rnd(17, 128, dtype=dtype)
        y = torch.zeros(17, 8, device="cuda", dtype=dtype)
        inp = LI()
        inp.kind, inp.x, inp.x_stride, inp.up, inp.up_stride = kind, x.data_ptr(), 128, \
            x.data_ptr(), 128
        res.refused("quantized_linear_gated.refused", what, dtype, what,
                    lambda: attnc_cuda.quantized_linear_gated(lib, 4, 128, False, inp, 17, 128,
                                                              values, scales, None, None, act, N,
                                                              None, None, y))


def test_quantized_linear_rope_kv(lib, res, gen):
    """attnc_cuda_quantized_linear_rope_kv: a fused QKV projection whose query
    heads come out rotated and whose keys (rotated) and values go to their
    pages; one kernel for 4-bit decode with a half-split rotation of whole
    heads (tiles pair the rows that rotate together), the pieces otherwise
    (partial or interleaved rotation, T > 8, f32, 8-bit). Reference: torch
    float64 product rounded to the dtype (as a stored product is), rotated
    as HF does (rope_ref)."""
    schemes = [(4, 128, False), (4, 32, True), (8, 0, False)]
    # (heads, kv heads, head_dim, rotary_dim, style, K): the 1.1B layer; a
    # small model's; head_dim 128; partial and interleaved (the pieces)
    configs = [(32, 4, 64, 64, 0, 2048), (4, 2, 16, 16, 0, 128), (8, 2, 128, 128, 0, 256),
               (4, 2, 64, 32, 0, 256), (4, 1, 32, 32, 1, 128)]
    LI, RO = attnc_cuda.LinearInput, attnc_cuda.RopeKvOutput
    for ci, (H, KVH, hd, rot, style, K) in enumerate(configs):
        N = (H + 2 * KVH) * hd
        for name, bits, group, asym, values, scales, zeros, wdq in quantized_weights(schemes, K, N):
            for dtype in DTYPES:
                for ti, seqs in enumerate(([(gen.randint(1, 3000), 1)],
                                           [(gen.randint(1, 900), 1), (gen.randint(1, 40), 1),
                                            (gen.randint(100, 200), 1)],
                                           [(gen.randint(1, 500), 1) for _ in range(8)],
                                           [(17, 17)])):
                    pg = PagedSteps(gen, seqs, gen.choice([16, 7]))
                    T, norm = pg.T, (ci + ti) % 2 == 1
                    bias = rnd(N, dtype=dtype) if ti % 2 == 0 else None
                    inp = LI()
                    keep, xf = plain_or_norm_input(inp, T, K, dtype, norm, ti)
                    p = stored_product(xf, wdq, bias, dtype).float()
                    inv = attnc_cuda.rope_inv_freq(lib, 10000.0 + 1000 * ci, rot).cuda()
                    q_ref = rope_ref(p[:, :H * hd].reshape(T, H, hd), pg.pos, inv, rot, style)
                    k_ref = rope_ref(p[:, H * hd:(H + KVH) * hd].reshape(T, KVH, hd), pg.pos, inv,
                                     rot, style)
                    v_ref = p[:, (H + KVH) * hd:].reshape(T, KVH, hd)
                    cache = pg.cache(KVH, hd, dtype)
                    query = torch.full((T, H * hd), NAN, device="cuda", dtype=dtype)
                    product = torch.full((T, N), NAN, device="cuda", dtype=dtype)
                    scratch = torch.full((T, K), NAN, device="cuda", dtype=dtype)
                    out = RO()
                    out.style, out.head_dim, out.rotary_dim = style, hd, rot
                    out.num_heads, out.num_kv_heads = H, KVH
                    out.positions, out.inv_freq, out.query = pg.pos.data_ptr(), inv.data_ptr(), \
                        query.data_ptr()
                    out.num_seqs, out.query_start = pg.num_seqs, pg.qs_d.data_ptr()
                    out.block_table, out.blocks_per_seq = pg.table_d.data_ptr(), pg.bps
                    out.page_size, out.kv_type = pg.page_size, attnc_cuda.KV_MODEL
                    out.layer_cache = cache.data_ptr()
                    attnc_cuda.quantized_linear_rope_kv(lib, bits, group, asym, inp, T, K, values,
                                                        scales, zeros, bias, out, N, scratch,
                                                        product, dtype)
                    torch.cuda.synchronize()
                    mag = float((xf.double().abs() @ wdq.abs().t()).max())
                    case = f"H{H}/{KVH} hd{hd} rot{rot} {'interleaved' if style else 'half'} " \
                           f"K{K} T{T}{' norm' if norm else ''}{' bias' if bias is not None else ''}"
                    got_k, got_v = pg.written(cache)
                    res.check(f"quantized_linear_rope_kv.{name}.q", case, dtype,
                              query.view(T, H, hd), q_ref, scale=mag)
                    res.check(f"quantized_linear_rope_kv.{name}.k", case, dtype, got_k, k_ref,
                              scale=mag)
                    res.check(f"quantized_linear_rope_kv.{name}.v", case, dtype, got_v, v_ref,
                              scale=mag)
                    res.flag(f"quantized_linear_rope_kv.{name}.untouched", case, dtype,
                             pg.untouched(cache), "a slot outside the step was written")
    # refused: a width that is not the heads', a missing cache, a gated input
    x = rnd(1, 128, dtype=torch.float16)
    values, scales, _ = quantize_ref(torch.randn(64, 128, device="cuda"), 4, 128, False)
    q = torch.zeros(1, 32, device="cuda", dtype=torch.float16)
    for N, cache, kind, what in ((48, True, LI.PLAIN, "out_features is not"),
                                 (64, False, LI.PLAIN, "incomplete rope"),
                                 (64, True, LI.GATED, "a gated input cannot feed")):
        inp = LI()
        inp.kind, inp.x, inp.x_stride, inp.up, inp.up_stride = kind, x.data_ptr(), 128, \
            x.data_ptr(), 128
        out = RO()
        pos = torch.zeros(1, dtype=torch.int32, device="cuda")
        out.style, out.head_dim, out.rotary_dim, out.num_heads, out.num_kv_heads = 0, 16, 16, 2, 1
        out.positions, out.inv_freq, out.query = pos.data_ptr(), x.data_ptr(), q.data_ptr()
        out.num_seqs, out.query_start, out.block_table = 1, pos.data_ptr(), pos.data_ptr()
        out.page_size, out.layer_cache = 16, x.data_ptr() if cache else None
        res.refused("quantized_linear_rope_kv.refused", what, torch.float16, what,
                    lambda: attnc_cuda.quantized_linear_rope_kv(lib, 4, 128, False, inp, 1, 128,
                                                                values, scales, None, None, out,
                                                                N, None, None, torch.float16))


def main():
    seed = int(os.environ.get("ATTNC_TEST_SEED", random.SystemRandom().randrange(1 << 30)))
    print(f"seed {seed} (ATTNC_TEST_SEED={seed} replays)")
    gen = random.Random(seed)
    torch.manual_seed(seed)
    lib = attnc_cuda.load_library()
    res = Results()
    tests = (test_norms, test_rope, test_activations, test_embedding, test_linear,
             test_elementwise, test_gather, test_argmax, test_rope_table, test_gemv,
             test_quantized_linear,
             test_quantized_linear_fused, test_quantized_linear_gated,
             test_quantized_linear_rope_kv)
    only = os.environ.get("ATTNC_TEST_ONLY")  # e.g. test_gather,test_rope_table (memcheck runs)
    if only:
        tests = [t for t in tests if t.__name__ in only.split(",")]
    for t in tests:
        try:
            t(lib, res, gen)
            torch.cuda.synchronize()
        except Exception as exc:  # a launch/argument error fails the group, not the run
            res.failures += 1
            print(f"FAIL {t.__name__}: {type(exc).__name__}: {exc}")
    print(f"\n{len(res.rows)} checks, {res.failures} failed")
    print(f"{'kernel':<24}{'dtype':<10}{'runs':>5}{'max|err|/max|ref|':>19}{'l2 rel':>11}")
    for (k, d), (rm, rl, n) in sorted(res.worst.items()):
        print(f"{k:<24}{d:<10}{n:>5}{rm:>19.2e}{rl:>11.2e}")
    return 1 if res.failures else 0


if __name__ == "__main__":
    sys.exit(main())
