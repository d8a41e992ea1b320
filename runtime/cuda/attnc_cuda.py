"""ctypes binding of libattnc_cuda.so (runtime/cuda/Attention.h) for the GPU
tests and benchmarks, plus a paged-cache builder shared by both.

Tensors are PyTorch CUDA tensors; only their data_ptr() crosses the boundary.
"""
import ctypes
import os
import subprocess

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
F16, BF16 = 0, 1
DTYPES = {torch.float16: F16, torch.bfloat16: BF16}


class Config(ctypes.Structure):
    _fields_ = [(n, ctypes.c_int32) for n in (
        "dtype", "head_dim", "num_kv_heads", "group_size", "page_size", "causal", "window",
        "split_tokens")]


class Args(ctypes.Structure):
    _fields_ = [("query", ctypes.c_void_p), ("out", ctypes.c_void_p),
                ("positions", ctypes.c_void_p), ("context_len", ctypes.c_void_p),
                ("block_table", ctypes.c_void_p), ("blocks_per_seq", ctypes.c_int32),
                ("layer_cache", ctypes.c_void_p), ("scale", ctypes.c_float),
                ("softcap", ctypes.c_float)]


def load_library():
    path = os.environ.get("ATTNC_CUDA_LIB")
    if not path:
        out = "/tmp/attnc_cuda"
        path = os.path.join(out, "libattnc_cuda.so")
        sources = [os.path.join(HERE, f) for f in ("Attention.cu", "KVAppend.cu", "Attention.h")]
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
    return lib


def _i32(values):
    return (ctypes.c_int32 * len(values))(*values)


class Plan:
    def __init__(self, lib, dtype, head_dim, kv_heads, group, page_size, causal, window,
                 query_start, context_len, positions, split_tokens=0):
        self.lib = lib
        cfg = Config(DTYPES[dtype], head_dim, kv_heads, group, page_size, int(causal), window,
                     split_tokens)
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
              page_size):
    T, kvh, hd = key.shape
    err = ctypes.create_string_buffer(512)
    rc = lib.attnc_cuda_kv_append(
        key.element_size(), hd, value.shape[2], kvh, page_size, key.data_ptr(),
        value.data_ptr(), T, positions.data_ptr(), query_start.numel() - 1,
        query_start.data_ptr(), block_table.data_ptr(), blocks_per_seq, cache_ptr,
        torch.cuda.current_stream().cuda_stream, err, 512)
    if rc:
        raise RuntimeError(err.value.decode())
