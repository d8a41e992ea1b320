"""ctypes binding of libattnc_cuda.so (runtime/cuda/Attention.h) for the GPU
tests and benchmarks, plus a paged-cache builder shared by both.

Tensors are PyTorch CUDA tensors; only their data_ptr() crosses the boundary.
"""
import ctypes
import os
import subprocess

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
F16, BF16, F32 = 0, 1, 2
DTYPES = {torch.float16: F16, torch.bfloat16: BF16, torch.float32: F32}
KV_MODEL, KV_INT8, KV_FP8 = 0, 1, 2  # ATTNC_CUDA_KV_*: what the cache pages hold


class Config(ctypes.Structure):
    _fields_ = [(n, ctypes.c_int32) for n in (
        "dtype", "head_dim", "num_kv_heads", "group_size", "page_size", "causal", "window",
        "split_tokens", "kv_type")]


class Args(ctypes.Structure):
    _fields_ = [("query", ctypes.c_void_p), ("out", ctypes.c_void_p),
                ("positions", ctypes.c_void_p), ("context_len", ctypes.c_void_p),
                ("block_table", ctypes.c_void_p), ("blocks_per_seq", ctypes.c_int32),
                ("layer_cache", ctypes.c_void_p), ("scale", ctypes.c_float),
                ("softcap", ctypes.c_float)]


def load_library():
    """libattnc_cuda.so from ATTNC_CUDA_LIB (the CMake-built library); without it,
    built by build.sh into /tmp/attnc_cuda when missing or older than the sources."""
    path = os.environ.get("ATTNC_CUDA_LIB")
    if not path:
        out = "/tmp/attnc_cuda"
        path = os.path.join(out, "libattnc_cuda.so")
        sources = [os.path.join(HERE, f) for f in ("Attention.cu", "AttentionF32.cu",
                                                   "AttentionPlan.h", "KVAppend.cu",
                                                   "Attention.h", "StepKernels.cu", "Linear.cu",
                                                   "QuantLinear.cu", "AsyncCopy.cuh", "KVQuant.cuh",
                                                   "StepKernels.h", "Step.cu", "Step.h")]
        if not os.path.exists(path) or any(os.path.getmtime(s) > os.path.getmtime(path)
                                           for s in sources):
            subprocess.check_call([os.path.join(HERE, "build.sh"), out])
    lib = ctypes.CDLL(path)
    i32p = ctypes.POINTER(ctypes.c_int32)
    lib.attnc_cuda_attention_plan_create.argtypes = [
        ctypes.POINTER(Config), ctypes.c_int32, i32p, i32p, i32p, ctypes.POINTER(ctypes.c_void_p),
        ctypes.c_char_p, ctypes.c_size_t]
    lib.attnc_cuda_attention_plan_destroy.argtypes = [ctypes.c_void_p]
    lib.attnc_cuda_attention_plan_info.argtypes = [ctypes.c_void_p, i32p, i32p, i32p, i32p]
    lib.attnc_cuda_paged_attention.argtypes = [ctypes.c_void_p, ctypes.POINTER(Args),
                                               ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.attnc_cuda_kv_append.argtypes = [ctypes.c_int32] * 5 + [
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32, ctypes.c_void_p, ctypes.c_int32,
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p,
        ctypes.c_char_p, ctypes.c_size_t]
    lib.attnc_cuda_kv_append_typed.argtypes = [ctypes.c_int32] * 6 + [
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32, ctypes.c_void_p, ctypes.c_int32,
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p,
        ctypes.c_char_p, ctypes.c_size_t]
    declare_step_kernels(lib)
    return lib


def declare_step_kernels(lib):
    """argtypes of the StepKernels.h functions."""
    vp, i32, i64, f32 = ctypes.c_void_p, ctypes.c_int32, ctypes.c_int64, ctypes.c_float
    tail = [vp, ctypes.c_char_p, ctypes.c_size_t]  # stream, error, error_len
    for name, args in {
        "attnc_cuda_rms_norm": [i32, vp, vp, f32, f32, i32, i32, vp],
        "attnc_cuda_residual_add_rms_norm": [i32, vp, vp, vp, f32, f32, i32, i32, vp, vp],
        "attnc_cuda_layer_norm": [i32, vp, vp, vp, f32, i32, i32, vp],
        "attnc_cuda_rope_kv_append": [i32] * 7 + [vp, vp, vp, i64, vp, i64, vp, i64, vp, i64, i32,
                                                  vp, vp, i32, i32, i32, vp],
        "attnc_cuda_activation": [i32, i32, vp, vp, i64],
        "attnc_cuda_gated_activation": [i32, i32, vp, i64, vp, i64, vp, i32, i32],
        "attnc_cuda_embedding": [i32, vp, i32, vp, i64, i32, f32, vp, vp],
        "attnc_cuda_linear": [vp, i32, vp, i32, i32, vp, vp, i32, vp],
        "attnc_cuda_add_scaled": [i32, vp, vp, f32, vp, i64],
        "attnc_cuda_scale": [i32, vp, f32, vp, i64],
        "attnc_cuda_softcap": [i32, vp, f32, vp, i64],
        "attnc_cuda_to_f32": [i32, vp, vp, i64],
        "attnc_cuda_argmax_rows": [i32, vp, i64, i32, vp],
        "attnc_cuda_gather_rows": [i32, vp, i64, vp, i32, i64, vp, vp],
        "attnc_cuda_rope_table": [i32] * 6 + [vp, vp, vp, i64, vp, i64, vp],
        "attnc_cuda_gemv": [i32, vp, i32, i32, vp, vp, i32, vp],
        "attnc_cuda_quantized_linear": [i32, i32, i32, i32, vp, i32, i32, vp, vp, vp, vp, i32,
                                        vp],
        "attnc_cuda_quantized_linear_fused": [i32, i32, i32, i32, ctypes.POINTER(LinearInput),
                                              i32, i32, vp, vp, vp, vp, vp, i32, vp, vp],
        "attnc_cuda_quantized_linear_gated": [i32, i32, i32, i32, ctypes.POINTER(LinearInput),
                                              i32, i32, vp, vp, vp, vp, i32, i32, vp, vp, vp],
        "attnc_cuda_quantized_linear_rope_kv": [i32, i32, i32, i32, ctypes.POINTER(LinearInput),
                                                i32, i32, vp, vp, vp, vp,
                                                ctypes.POINTER(RopeKvOutput), i32, vp, vp],
    }.items():
        fn = getattr(lib, name, None)
        if fn is None:  # an older library (benchmarks of a previous build)
            continue
        fn.argtypes = args + tail
        fn.restype = ctypes.c_int
    lib.attnc_cuda_rope_inv_freq.argtypes = [ctypes.c_double, i32, ctypes.POINTER(ctypes.c_float)]
    lib.attnc_cuda_rope_inv_freq.restype = None
    lib.attnc_cuda_linear_create.argtypes = [ctypes.c_size_t, ctypes.POINTER(vp), ctypes.c_char_p,
                                             ctypes.c_size_t]
    lib.attnc_cuda_linear_destroy.argtypes = [vp]
    lib.attnc_cuda_linear_set_gemv.argtypes = [vp, i32]
    lib.attnc_cuda_linear_set_gemv.restype = None


ACT = {"silu": 0, "gelu": 1, "gelu_tanh": 2, "relu": 3}


def _ptr(t):
    return None if t is None else t.data_ptr()


def _call(lib, name, *args):
    err = ctypes.create_string_buffer(512)
    rc = getattr(lib, name)(*args, torch.cuda.current_stream().cuda_stream, err, 512)
    if rc:
        raise RuntimeError(err.value.decode())


def rms_norm(lib, x, weight, eps, y, offset=0.0):
    _call(lib, "attnc_cuda_rms_norm", DTYPES[x.dtype], x.data_ptr(), weight.data_ptr(), offset,
          eps, x.numel() // x.shape[-1], x.shape[-1], y.data_ptr())


def residual_add_rms_norm(lib, a, b, weight, eps, res, y, offset=0.0):
    _call(lib, "attnc_cuda_residual_add_rms_norm", DTYPES[a.dtype], a.data_ptr(), b.data_ptr(),
          weight.data_ptr(), offset, eps, a.numel() // a.shape[-1], a.shape[-1], res.data_ptr(),
          y.data_ptr())


def layer_norm(lib, x, weight, bias, eps, y):
    _call(lib, "attnc_cuda_layer_norm", DTYPES[x.dtype], x.data_ptr(), weight.data_ptr(),
          _ptr(bias), eps, x.numel() // x.shape[-1], x.shape[-1], y.data_ptr())


def rope_inv_freq(lib, theta, rotary_dim):
    buf = (ctypes.c_float * (rotary_dim // 2))()
    lib.attnc_cuda_rope_inv_freq(theta, rotary_dim, buf)
    return torch.tensor(list(buf), dtype=torch.float32)


def rope_kv_append(lib, style, head_dim, rotary_dim, num_heads, num_kv_heads, positions, inv_freq,
                   query, q_stride, key=None, k_stride=0, value=None, v_stride=0,
                   query_start=None, block_table=None, blocks_per_seq=0, page_size=1,
                   cache_ptr=None, num_tokens=None, kv_type=KV_MODEL, query_source=None,
                   query_source_stride=0):
    """query/key/value: tensors whose data_ptr() is token 0's first head (may be
    column views of one fused QKV buffer); strides in elements per token.
    query_source: the un-rotated query, rotated into query (else in place)."""
    T = positions.numel() if num_tokens is None else num_tokens
    _call(lib, "attnc_cuda_rope_kv_append", DTYPES[query.dtype], style, head_dim, rotary_dim,
          num_heads, num_kv_heads, T, positions.data_ptr(), inv_freq.data_ptr(),
          query.data_ptr(), q_stride, _ptr(query_source), query_source_stride, _ptr(key),
          k_stride, _ptr(value), v_stride,
          0 if query_start is None else query_start.numel() - 1, _ptr(query_start),
          _ptr(block_table), blocks_per_seq, page_size, kv_type, cache_ptr)


def activation(lib, act, x, y):
    _call(lib, "attnc_cuda_activation", DTYPES[x.dtype], ACT[act], x.data_ptr(), y.data_ptr(),
          x.numel())


def gated_activation(lib, act, gate, gate_stride, up, up_stride, out, rows, width):
    _call(lib, "attnc_cuda_gated_activation", DTYPES[out.dtype], ACT[act], gate.data_ptr(),
          gate_stride, up.data_ptr(), up_stride, out.data_ptr(), rows, width)


def embedding(lib, ids, table, scale, out, bad=None):
    _call(lib, "attnc_cuda_embedding", DTYPES[table.dtype], ids.data_ptr(), ids.numel(),
          table.data_ptr(), table.shape[0], table.shape[1], scale, out.data_ptr(), _ptr(bad))


def add_scaled(lib, a, b, scale, out):
    _call(lib, "attnc_cuda_add_scaled", DTYPES[a.dtype], a.data_ptr(), b.data_ptr(), scale,
          out.data_ptr(), a.numel())


def scale(lib, x, s, y):
    _call(lib, "attnc_cuda_scale", DTYPES[x.dtype], x.data_ptr(), s, y.data_ptr(), x.numel())


def softcap(lib, x, cap, y):
    _call(lib, "attnc_cuda_softcap", DTYPES[x.dtype], x.data_ptr(), cap, y.data_ptr(), x.numel())


def to_f32(lib, x, y):
    _call(lib, "attnc_cuda_to_f32", DTYPES[x.dtype], x.data_ptr(), y.data_ptr(), x.numel())


def argmax_rows(lib, x, out):
    """x [rows, cols] (contiguous), out int32 [rows]: each row's greedy token."""
    _call(lib, "attnc_cuda_argmax_rows", DTYPES[x.dtype], x.data_ptr(), x.shape[0], x.shape[1],
          out.data_ptr())


def gather_rows(lib, src, index, dst, bad=None):
    """src [rows, width] (any dtype), index int32 [count], dst [count, width]."""
    _call(lib, "attnc_cuda_gather_rows", src.element_size(), src.data_ptr(), src.shape[0],
          index.data_ptr(), index.numel(), src.shape[1], dst.data_ptr(), _ptr(bad))


def rope_table(lib, style, head_dim, rotary_dim, num_heads, positions, cos, sin, x, x_stride,
               bad=None):
    """x: tensor whose data_ptr() is token 0's first head; cos/sin [rows, rotary_dim / 2]."""
    _call(lib, "attnc_cuda_rope_table", DTYPES[x.dtype], style, head_dim, rotary_dim, num_heads,
          positions.numel(), positions.data_ptr(), cos.data_ptr(), sin.data_ptr(), cos.shape[0],
          x.data_ptr(), x_stride, _ptr(bad))


def gemv(lib, x, weight, bias, y):
    """attnc_cuda_gemv: y = x W^T (+ bias), W [N, K]."""
    N, K = weight.shape
    _call(lib, "attnc_cuda_gemv", DTYPES[x.dtype], x.data_ptr(), x.numel() // K, K,
          weight.data_ptr(), _ptr(bias), N, y.data_ptr())


def quantized_linear(lib, bits, group_size, asymmetric, x, values, scales, zeros, bias, N, y):
    """attnc_cuda_quantized_linear; values/scales/zeros in the layout of
    runtime/QuantizedWeights.h (zeros None when symmetric)."""
    K = x.shape[-1]
    _call(lib, "attnc_cuda_quantized_linear", DTYPES[x.dtype], bits, group_size,
          int(asymmetric), x.data_ptr(), x.numel() // K, K, values.data_ptr(), scales.data_ptr(),
          _ptr(zeros), _ptr(bias), N, y.data_ptr())


class LinearInput(ctypes.Structure):
    """attnc_cuda_linear_input (StepKernels.h)."""
    PLAIN, RMS_NORM, GATED = 0, 1, 2
    _fields_ = [("kind", ctypes.c_int32), ("x", ctypes.c_void_p), ("x_stride", ctypes.c_int64),
                ("up", ctypes.c_void_p), ("up_stride", ctypes.c_int64), ("act", ctypes.c_int32),
                ("norm_weight", ctypes.c_void_p), ("norm_offset", ctypes.c_float),
                ("norm_eps", ctypes.c_float)]


def quantized_linear_fused(lib, bits, group_size, asymmetric, inp, T, K, values, scales, zeros,
                           bias, residual, N, scratch, y):
    """attnc_cuda_quantized_linear_fused; inp a LinearInput (its tensors kept
    alive by the caller)."""
    _call(lib, "attnc_cuda_quantized_linear_fused", DTYPES[y.dtype], bits, group_size,
          int(asymmetric), ctypes.byref(inp), T, K, values.data_ptr(), scales.data_ptr(),
          _ptr(zeros), _ptr(bias), _ptr(residual), N, _ptr(scratch), y.data_ptr())


class RopeKvOutput(ctypes.Structure):
    """attnc_cuda_rope_kv_output (StepKernels.h)."""
    _fields_ = [("style", ctypes.c_int32), ("head_dim", ctypes.c_int32),
                ("rotary_dim", ctypes.c_int32), ("num_heads", ctypes.c_int32),
                ("num_kv_heads", ctypes.c_int32), ("positions", ctypes.c_void_p),
                ("inv_freq", ctypes.c_void_p), ("query", ctypes.c_void_p),
                ("num_seqs", ctypes.c_int32), ("query_start", ctypes.c_void_p),
                ("block_table", ctypes.c_void_p), ("blocks_per_seq", ctypes.c_int32),
                ("page_size", ctypes.c_int32), ("kv_type", ctypes.c_int32),
                ("layer_cache", ctypes.c_void_p)]


def quantized_linear_rope_kv(lib, bits, group_size, asymmetric, inp, T, K, values, scales, zeros,
                             bias, out, N, scratch, product, dtype):
    """attnc_cuda_quantized_linear_rope_kv; inp a LinearInput, out a
    RopeKvOutput (their tensors kept alive by the caller)."""
    _call(lib, "attnc_cuda_quantized_linear_rope_kv", DTYPES[dtype], bits, group_size,
          int(asymmetric), ctypes.byref(inp), T, K, values.data_ptr(), scales.data_ptr(),
          _ptr(zeros), _ptr(bias), ctypes.byref(out), N, _ptr(scratch), _ptr(product))


def quantized_linear_gated(lib, bits, group_size, asymmetric, inp, T, K, values, scales, zeros,
                           bias, act, N, scratch, product, y):
    """attnc_cuda_quantized_linear_gated: y [T, N / 2] = act(gate) * up of the
    product's halves; inp a LinearInput (its tensors kept alive by the caller)."""
    _call(lib, "attnc_cuda_quantized_linear_gated", DTYPES[y.dtype], bits, group_size,
          int(asymmetric), ctypes.byref(inp), T, K, values.data_ptr(), scales.data_ptr(),
          _ptr(zeros), _ptr(bias), ACT[act] if isinstance(act, str) else act, N, _ptr(scratch),
          _ptr(product), y.data_ptr())


class Linear:
    """cuBLASLt context (handle + workspace created once). gemv_max_tokens:
    attnc_cuda_linear_set_gemv (None keeps the library's default; 0 = cuBLASLt
    only)."""

    def __init__(self, lib, workspace_bytes=0, gemv_max_tokens=None):
        self.lib = lib
        handle = ctypes.c_void_p()
        err = ctypes.create_string_buffer(512)
        if lib.attnc_cuda_linear_create(workspace_bytes, ctypes.byref(handle), err, 512):
            raise RuntimeError(err.value.decode())
        self.handle = handle
        if gemv_max_tokens is not None:
            lib.attnc_cuda_linear_set_gemv(handle, gemv_max_tokens)

    def __call__(self, x, weight, bias, y):
        N, K = weight.shape
        _call(self.lib, "attnc_cuda_linear", self.handle, DTYPES[x.dtype], x.data_ptr(),
              x.numel() // K, K, weight.data_ptr(), _ptr(bias), N, y.data_ptr())

    def __del__(self):
        if getattr(self, "handle", None):
            self.lib.attnc_cuda_linear_destroy(self.handle)
            self.handle = None


def _i32(values):
    return (ctypes.c_int32 * len(values))(*values)


class Plan:
    def __init__(self, lib, dtype, head_dim, kv_heads, group, page_size, causal, window,
                 query_start, context_len, positions, split_tokens=0, kv_type=KV_MODEL):
        self.lib = lib
        cfg = Config(DTYPES[dtype], head_dim, kv_heads, group, page_size, int(causal), window,
                     split_tokens, kv_type)
        handle = ctypes.c_void_p()
        err = ctypes.create_string_buffer(512)
        rc = lib.attnc_cuda_attention_plan_create(
            ctypes.byref(cfg), len(context_len), _i32(query_start), _i32(context_len),
            _i32(positions), ctypes.byref(handle), err, 512)
        if rc != 0:
            raise RuntimeError(err.value.decode())
        self.handle = handle
        vals = [ctypes.c_int32() for _ in range(4)]
        lib.attnc_cuda_attention_plan_info(handle, *[ctypes.byref(v) for v in vals])
        self.decode_items, self.prefill_items, self.split_groups, self.split_tokens = [
            v.value for v in vals]

    def run(self, query, out, positions, context_len, block_table, blocks_per_seq, cache_ptr,
            scale, softcap=0.0, stream=None):
        args = Args(query.data_ptr(), out.data_ptr(), positions.data_ptr(),
                    context_len.data_ptr(), block_table.data_ptr(), blocks_per_seq, cache_ptr,
                    scale, softcap)
        err = ctypes.create_string_buffer(512)
        s = stream if stream is not None else torch.cuda.current_stream().cuda_stream
        if self.lib.attnc_cuda_paged_attention(self.handle, ctypes.byref(args), s, err, 512):
            raise RuntimeError(err.value.decode())

    def __del__(self):
        if getattr(self, "handle", None):
            self.lib.attnc_cuda_attention_plan_destroy(self.handle)
            self.handle = None


def kv_append(lib, key, value, positions, query_start, block_table, blocks_per_seq, cache_ptr,
              page_size, kv_type=None):
    """attnc_cuda_kv_append; with kv_type (KV_*), attnc_cuda_kv_append_typed."""
    T, kvh, hd = key.shape
    err = ctypes.create_string_buffer(512)
    tail = (T, positions.data_ptr(), query_start.numel() - 1, query_start.data_ptr(),
            block_table.data_ptr(), blocks_per_seq, cache_ptr,
            torch.cuda.current_stream().cuda_stream, err, 512)
    if kv_type is None:
        rc = lib.attnc_cuda_kv_append(key.element_size(), hd, value.shape[2], kvh, page_size,
                                      key.data_ptr(), value.data_ptr(), *tail)
    else:
        rc = lib.attnc_cuda_kv_append_typed(DTYPES[key.dtype], kv_type, hd, value.shape[2], kvh,
                                            page_size, key.data_ptr(), value.data_ptr(), *tail)
    if rc:
        raise RuntimeError(err.value.decode())


def quantize_rows(x, kv_type):
    """runtime/QuantizedKV.h in PyTorch, independent of the kernels: x float32
    [..., n] -> (codes uint8 [..., n], scales float32 [...]). int8 rounds half to
    even (torch.round), fp8 through torch.float8_e4m3fn (round to nearest even)."""
    amax = x.abs().amax(-1)
    # Tensor / tensor divisions: PyTorch computes `scalar / t` as reciprocal(t) *
    # scalar and `t / scalar` as t * (1 / scalar), each off by an ulp at times.
    limit = torch.full_like(amax, 127.0 if kv_type == KV_INT8 else 448.0)
    zero = ~(amax > 0) | ~torch.isfinite(amax)
    inv = torch.where(zero, torch.zeros_like(amax), limit / amax)
    lim = 127.0 if kv_type == KV_INT8 else 448.0
    v = (x * inv[..., None]).clamp(-lim, lim)
    if kv_type == KV_INT8:
        codes = torch.round(v).to(torch.int8).view(torch.uint8)
    else:
        codes = v.to(torch.float8_e4m3fn).view(torch.uint8)
    codes = torch.where(zero[..., None], torch.zeros_like(codes), codes)
    return codes, torch.where(zero, torch.zeros_like(amax), amax / limit)


def dequantize_rows(codes, scales, kv_type):
    """code * scale in float32 (kvquant::dequantize)."""
    q = codes.view(torch.int8) if kv_type == KV_INT8 else codes.view(torch.float8_e4m3fn)
    return q.float() * scales[..., None]


def pack_quantized(cache, kv_type, chunk_pages=2048, dequantized=True):
    """Model-dtype cache [P, 2, page, kv_heads, hd] (NaN rows: unwritten) ->
    (pages uint8 [P, page_bytes] in the runtime/QuantizedKV.h layout, unwritten
    rows as 0xFF codes and NaN scales; dequantized float32 cache of the input's
    shape with NaN rows, or None unless `dequantized`). Quantized chunk_pages
    pages at a time."""
    P, _, ps, kvh, hd = cache.shape
    pages, deqs = [], []
    for p0 in range(0, P, chunk_pages):
        x = cache[p0:p0 + chunk_pages].float()
        n = x.shape[0]
        nan_rows = torch.isnan(x).any(-1)
        codes, scales = quantize_rows(torch.nan_to_num(x, nan=0.0), kv_type)
        del x
        codes[nan_rows] = 0xFF
        scale_bytes = scales.contiguous().view(torch.uint8).reshape(n, 2, ps, kvh, 4).clone()
        scale_bytes[nan_rows] = 0xFF
        pages.append(torch.cat([codes[:, 0].reshape(n, -1), codes[:, 1].reshape(n, -1),
                                scale_bytes[:, 0].reshape(n, -1),
                                scale_bytes[:, 1].reshape(n, -1)], 1))
        if dequantized:
            deqs.append(dequantize_rows(
                codes, scale_bytes.view(torch.float32).reshape(n, 2, ps, kvh), kv_type))
    return torch.cat(pages).contiguous(), torch.cat(deqs) if dequantized else None
