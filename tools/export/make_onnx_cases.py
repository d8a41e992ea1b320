#!/usr/bin/env python3
"""Build the small hand-made ONNX models that the importer's lit tests read.

test/fixtures/cases/    valid models, each exercising one op or one form
                        (fused attention ops, contrib ops, opset upgrades,
                        external data, Constant forms, unsorted graphs)
test/fixtures/invalid/  bad input: files that are not models, and models with
                        one specific problem each (see test/Import/*.test)

Everything is built with onnx.helper from fixed names and a fixed numpy seed,
so running the script twice writes identical bytes. No file contains a path
(external data locations are relative to the model).

Every valid model is also loaded by onnxruntime (InferenceSession creation)
where onnxruntime implements the op at that opset, so we know the cases are
real models; the exceptions are marked `ort=False` with the reason.

The huge-external case (1 GiB of float32 in external data) is written without
its data file: test/Import/huge-external-data.test creates the data as a
sparse file.

Usage:
    python3 tools/export/make_onnx_cases.py [--root test/fixtures] [--no-ort]
"""

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 0
PRODUCER = "attnc make_onnx_cases"
FORBIDDEN = (b"/home", b"/root", b"/work", b"/tmp", b"/usr", b"site-packages")

F32 = TensorProto.FLOAT
I64 = TensorProto.INT64
I32 = TensorProto.INT32
U8 = TensorProto.UINT8


def rng():
    # A fresh generator per model: adding or reordering models does not
    # change the bytes of the others.
    return np.random.default_rng(SEED)


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def init(name, array):
    return numpy_helper.from_array(np.ascontiguousarray(array), name)


def model(nodes, inputs, outputs, opsets, initializers=(), value_info=(),
          ir_version=None, name="g"):
    """opsets: {domain: version}; "" is the default domain."""
    graph = helper.make_graph(list(nodes), name, list(inputs), list(outputs),
                              initializer=list(initializers),
                              value_info=list(value_info))
    opset_ids = [helper.make_opsetid(d, v) for d, v in opsets.items()]
    if ir_version is None:
        default = opsets.get("", 17)
        ir_version = helper.find_min_ir_version_for(
            [helper.make_opsetid("", min(max(default, 1), 24))])
    m = helper.make_model(graph, opset_imports=opset_ids, ir_version=ir_version,
                          producer_name=PRODUCER)
    return m


def external(tensor_name, elem, dims, location, offset, length):
    """An initializer whose data lives in an external file (fields set by hand)."""
    t = TensorProto()
    t.name = tensor_name
    t.data_type = elem
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", str(offset)),
                       ("length", str(length))):
        entry = t.external_data.add()
        entry.key = key
        entry.value = value
    return t


def rope_caches(max_pos, half, base=10000.0):
    inv_freq = 1.0 / (base ** (np.arange(half, dtype=np.float64) / half))
    angles = np.outer(np.arange(max_pos, dtype=np.float64), inv_freq)
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


#===----------------------------------------------------------------------===#
# Valid cases
#===----------------------------------------------------------------------===#

def attention_23_gqa():
    # 4-D Q/K/V, GQA (4 query heads, 2 kv heads), causal, with a KV cache:
    # attn_mask (input 3) is omitted, past_key/past_value (4, 5) are given.
    nodes = [helper.make_node(
        "Attention", ["Q", "K", "V", "", "past_key", "past_value"],
        ["Y", "present_key", "present_value"], name="attn", is_causal=1)]
    inputs = [vi("Q", F32, [1, 4, 8, 16]), vi("K", F32, [1, 2, 8, 16]),
              vi("V", F32, [1, 2, 8, 16]), vi("past_key", F32, [1, 2, 4, 16]),
              vi("past_value", F32, [1, 2, 4, 16])]
    outputs = [vi("Y", F32, [1, 4, 8, 16]), vi("present_key", F32, [1, 2, 12, 16]),
               vi("present_value", F32, [1, 2, 12, 16])]
    return model(nodes, inputs, outputs, {"": 23})


def attention_24_3d():
    # 3-D inputs: the head counts come from q_num_heads/kv_num_heads.
    nodes = [helper.make_node(
        "Attention", ["Q", "K", "V"], ["Y"], name="attn3d",
        q_num_heads=4, kv_num_heads=2, scale=0.25, softcap=30.0)]
    inputs = [vi("Q", F32, [1, 8, 64]), vi("K", F32, [1, 8, 32]),
              vi("V", F32, [1, 8, 32])]
    outputs = [vi("Y", F32, [1, 8, 64])]
    return model(nodes, inputs, outputs, {"": 24})


def attention_23_causal():
    # No KV cache and no attn_mask, symbolic lengths. attn_gqa: 4-D GQA
    # (4 query heads, 2 kv heads), causal over q and kv of the same length
    # "seq", default scale (1/sqrt(16)). attn_mqa: 4-D MQA (1 kv head), not
    # causal, q of length "seq" attending to kv of length "kv_seq", scale 0.125.
    nodes = [
        helper.make_node("Attention", ["Q", "K", "V"], ["Y"], name="attn_gqa", is_causal=1),
        helper.make_node("Attention", ["Q", "K1", "V1"], ["Y1"], name="attn_mqa",
                         scale=0.125),
    ]
    inputs = [vi("Q", F32, ["batch", 4, "seq", 16]), vi("K", F32, ["batch", 2, "seq", 16]),
              vi("V", F32, ["batch", 2, "seq", 16]),
              vi("K1", F32, ["batch", 1, "kv_seq", 16]),
              vi("V1", F32, ["batch", 1, "kv_seq", 16])]
    outputs = [vi("Y", F32, ["batch", 4, "seq", 16]), vi("Y1", F32, ["batch", 4, "seq", 16])]
    return model(nodes, inputs, outputs, {"": 23})


def rotary_embedding_23():
    # rope_full: 4-D X, full rotation, with position_ids.
    # rope_partial: 3-D X with num_heads, interleaved, rotating only the first
    # 8 of each head's 16 dims.
    cos, sin = rope_caches(32, 8)
    cos_p, sin_p = rope_caches(32, 4)
    nodes = [
        helper.make_node("RotaryEmbedding", ["X", "cos_cache", "sin_cache", "position_ids"],
                         ["Y"], name="rope_full"),
        helper.make_node("RotaryEmbedding",
                         ["X3", "cos_cache_partial", "sin_cache_partial", "position_ids"],
                         ["Y3"], name="rope_partial", interleaved=1,
                         rotary_embedding_dim=8, num_heads=4),
    ]
    inputs = [vi("X", F32, [1, 4, 8, 16]), vi("X3", F32, [1, 8, 64]),
              vi("position_ids", I64, [1, 8])]
    outputs = [vi("Y", F32, [1, 4, 8, 16]), vi("Y3", F32, [1, 8, 64])]
    inits = [init("cos_cache", cos), init("sin_cache", sin),
             init("cos_cache_partial", cos_p), init("sin_cache_partial", sin_p)]
    return model(nodes, inputs, outputs, {"": 23}, inits)


def rms_normalization_23():
    scale = (1.0 + 0.1 * rng().standard_normal(64)).astype(np.float32)
    nodes = [helper.make_node("RMSNormalization", ["X", "scale"], ["Y"], name="rms",
                              axis=-1, epsilon=1e-6)]
    return model(nodes, [vi("X", F32, [2, 8, 64])], [vi("Y", F32, [2, 8, 64])],
                 {"": 23}, [init("scale", scale)])


def ms_group_query_attention():
    # One decode step: 1 new token, 8 cached; sliding window of 4.
    nodes = [helper.make_node(
        "GroupQueryAttention",
        ["query", "key", "value", "past_key", "past_value", "seqlens_k",
         "total_sequence_length"],
        ["output", "present_key", "present_value"], name="gqa",
        domain="com.microsoft", num_heads=4, kv_num_heads=2, local_window_size=4)]
    inputs = [vi("query", F32, [1, 1, 64]), vi("key", F32, [1, 1, 32]),
              vi("value", F32, [1, 1, 32]), vi("past_key", F32, [1, 2, 8, 16]),
              vi("past_value", F32, [1, 2, 8, 16]), vi("seqlens_k", I32, [1]),
              vi("total_sequence_length", I32, [])]
    outputs = [vi("output", F32, [1, 1, 64]), vi("present_key", F32, [1, 2, 9, 16]),
               vi("present_value", F32, [1, 2, 9, 16])]
    return model(nodes, inputs, outputs, {"": 17, "com.microsoft": 1})


def ms_group_query_attention_prefill():
    # A prompt without KV cache (past_key/past_value omitted, presents not
    # read). gqa_window: separate q/k/v, 4 query heads, 2 kv heads, head size
    # 16, local_window_size 4 (the 4 most recent keys, the query's own
    # included, as onnxruntime >= 1.23 defines it), softcap 50.
    # gqa_packed: q/k/v packed in query ((4 + 2 * 2) * 16 = 128 wide), scale
    # 0.125, no window.
    nodes = [
        helper.make_node(
            "GroupQueryAttention",
            ["query", "key", "value", "", "", "seqlens_k", "total_sequence_length"],
            ["output", "present_key", "present_value"], name="gqa_window",
            domain="com.microsoft", num_heads=4, kv_num_heads=2, local_window_size=4,
            softcap=50.0),
        helper.make_node(
            "GroupQueryAttention",
            ["packed_qkv", "", "", "", "", "seqlens_k", "total_sequence_length"],
            ["packed_output", "packed_present_key", "packed_present_value"],
            name="gqa_packed", domain="com.microsoft", num_heads=4, kv_num_heads=2,
            scale=0.125),
    ]
    inputs = [vi("query", F32, ["batch", "seq", 64]), vi("key", F32, ["batch", "seq", 32]),
              vi("value", F32, ["batch", "seq", 32]),
              vi("packed_qkv", F32, ["batch", "seq", 128]),
              vi("seqlens_k", I32, ["batch"]), vi("total_sequence_length", I32, [])]
    outputs = [vi("output", F32, ["batch", "seq", 64]),
               vi("packed_output", F32, ["batch", "seq", 64])]
    return model(nodes, inputs, outputs, {"": 17, "com.microsoft": 1})


def ms_multi_head_attention_causal():
    # Self-attention with a constant bias [q | k | v] added before attention,
    # unidirectional (causal), 4 heads of 16, default scale (1/sqrt(16)).
    bias = (0.1 * rng().standard_normal(3 * 64)).astype(np.float32)
    nodes = [helper.make_node(
        "MultiHeadAttention", ["query", "key", "value", "bias"], ["output"],
        name="mha_causal", domain="com.microsoft", num_heads=4, unidirectional=1)]
    inputs = [vi("query", F32, ["batch", "seq", 64]), vi("key", F32, ["batch", "seq", 64]),
              vi("value", F32, ["batch", "seq", 64])]
    return model(nodes, inputs, [vi("output", F32, ["batch", "seq", 64])],
                 {"": 17, "com.microsoft": 1}, [init("bias", bias)])


def ms_multi_head_attention():
    # bias (3) and key_padding_mask (4) omitted, attention_bias (5) given.
    nodes = [helper.make_node(
        "MultiHeadAttention", ["query", "key", "value", "", "", "attention_bias"],
        ["output"], name="mha", domain="com.microsoft", num_heads=4, scale=0.25)]
    inputs = [vi("query", F32, [1, 8, 64]), vi("key", F32, [1, 8, 64]),
              vi("value", F32, [1, 8, 64]), vi("attention_bias", F32, [1, 4, 8, 8])]
    return model(nodes, inputs, [vi("output", F32, [1, 8, 64])],
                 {"": 17, "com.microsoft": 1})


def ms_rotary_embedding():
    cos, sin = rope_caches(32, 8)
    nodes = [helper.make_node(
        "RotaryEmbedding", ["input", "position_ids", "cos_cache", "sin_cache"],
        ["output"], name="ms_rope", domain="com.microsoft", num_heads=4, interleaved=1)]
    inputs = [vi("input", F32, [1, 8, 64]), vi("position_ids", I64, [1, 8])]
    return model(nodes, inputs, [vi("output", F32, [1, 8, 64])],
                 {"": 17, "com.microsoft": 1},
                 [init("cos_cache", cos), init("sin_cache", sin)])


def simplified_layer_norm():
    # Default domain, as onnxruntime registers it.
    scale = (1.0 + 0.1 * rng().standard_normal(64)).astype(np.float32)
    nodes = [helper.make_node("SimplifiedLayerNormalization", ["X", "scale"], ["Y"],
                              name="sln", axis=-1, epsilon=1e-6, stash_type=1)]
    return model(nodes, [vi("X", F32, [2, 8, 64])], [vi("Y", F32, [2, 8, 64])],
                 {"": 17}, [init("scale", scale)])


def ms_skip_simplified_layer_norm():
    # Outputs mean (1) and inv_std_var (2) omitted, input_skip_bias_sum (3) kept.
    gamma = (1.0 + 0.1 * rng().standard_normal(64)).astype(np.float32)
    nodes = [helper.make_node(
        "SkipSimplifiedLayerNormalization", ["input", "skip", "gamma"],
        ["output", "", "", "sum"], name="skip_sln", domain="com.microsoft",
        epsilon=1e-6)]
    inputs = [vi("input", F32, [2, 8, 64]), vi("skip", F32, [2, 8, 64])]
    outputs = [vi("output", F32, [2, 8, 64]), vi("sum", F32, [2, 8, 64])]
    return model(nodes, inputs, outputs, {"": 17, "com.microsoft": 1},
                 [init("gamma", gamma)])


def ms_matmul_nbits():
    K, N, bits, block = 64, 32, 4, 32
    blocks = K // block
    r = rng()
    b = r.integers(0, 256, size=(N, blocks, block * bits // 8), dtype=np.uint8)
    scales = (0.01 + 0.01 * r.random(N * blocks)).astype(np.float32)
    # 4-bit zero points, two per byte, one row of ceil(blocks / 2) bytes per column.
    zero_points = r.integers(0, 256, size=(N * ((blocks * bits + 7) // 8),),
                             dtype=np.uint8)
    nodes = [helper.make_node(
        "MatMulNBits", ["A", "B", "scales", "zero_points"], ["Y"], name="qmatmul",
        domain="com.microsoft", K=K, N=N, bits=bits, block_size=block)]
    return model(nodes, [vi("A", F32, [2, K])], [vi("Y", F32, [2, N])],
                 {"": 17, "com.microsoft": 1},
                 [init("B", b), init("scales", scales), init("zero_points", zero_points)])


def dq_int4_matmul():
    # Opset 21 DequantizeLinear of int4 codes (blocks of 32 along K, no zero
    # point) and of uint4 codes with uint4 zero points, each feeding a MatMul.
    K, N, block = 64, 32, 32
    r = rng()
    codes = r.integers(-8, 8, size=(K, N))
    ucodes = r.integers(0, 16, size=(K, N))
    zero_points = r.integers(0, 16, size=(K // block, N))
    scales = (0.01 + 0.01 * r.random((K // block, N))).astype(np.float32)
    int4 = lambda name, kind, a: helper.make_tensor(name, kind, a.shape, a.flatten().tolist())
    nodes = [
        helper.make_node("DequantizeLinear", ["codes", "scales"], ["W"], name="dq_int4",
                         axis=0, block_size=block),
        helper.make_node("MatMul", ["A", "W"], ["Y"], name="matmul_int4"),
        helper.make_node("DequantizeLinear", ["ucodes", "scales", "zero_points"], ["U"],
                         name="dq_uint4", axis=0, block_size=block),
        helper.make_node("MatMul", ["A", "U"], ["Z"], name="matmul_uint4"),
    ]
    return model(nodes, [vi("A", F32, [2, K])], [vi("Y", F32, [2, N]), vi("Z", F32, [2, N])],
                 {"": 21},
                 [int4("codes", TensorProto.INT4, codes), init("scales", scales),
                  int4("ucodes", TensorProto.UINT4, ucodes),
                  int4("zero_points", TensorProto.UINT4, zero_points)])


def reduce_mean(opset):
    # "mean_last" reduces the last axis; "mean_all" has no axes (reduce all).
    # Before opset 18 the axes are an attribute, from 18 on an input.
    if opset < 18:
        nodes = [helper.make_node("ReduceMean", ["X"], ["Y"], name="mean_last",
                                  axes=[-1], keepdims=1)]
        inits = []
    else:
        nodes = [helper.make_node("ReduceMean", ["X", "axes"], ["Y"], name="mean_last",
                                  keepdims=1)]
        inits = [init("axes", np.array([-1], dtype=np.int64))]
    nodes.append(helper.make_node("ReduceMean", ["X"], ["Z"], name="mean_all",
                                  keepdims=0))
    return model(nodes, [vi("X", F32, [2, 8])], [vi("Y", F32, [2, 1]), vi("Z", F32, [])],
                 {"": opset}, inits)


def external_data_weights():
    # W [16, 16] at offset 0, B [16] at offset 1024 of external-data.bin.
    w = (np.arange(256, dtype=np.float32) * 0.5).reshape(16, 16)
    b = np.arange(16, dtype=np.float32)
    return w, b


def external_data():
    nodes = [helper.make_node("MatMul", ["X", "W"], ["XW"], name="matmul"),
             helper.make_node("Add", ["XW", "B"], ["Y"], name="bias")]
    inits = [external("W", F32, [16, 16], "external-data.bin", 0, 1024),
             external("B", F32, [16], "external-data.bin", 1024, 64)]
    return model(nodes, [vi("X", F32, [1, 16])], [vi("Y", F32, [1, 16])], {"": 17},
                 inits)


def constants():
    tensor = numpy_helper.from_array(np.array([1.0, 2.0, 3.0], dtype=np.float32),
                                     "c_tensor_value")
    nodes = [
        helper.make_node("Constant", [], ["c_tensor"], name="c_tensor", value=tensor),
        helper.make_node("Constant", [], ["c_float"], name="c_float", value_float=2.5),
        helper.make_node("Constant", [], ["c_shape"], name="c_shape", value_ints=[1, 3]),
        helper.make_node("Add", ["X", "c_tensor"], ["sum"], name="add"),
        helper.make_node("Mul", ["sum", "c_float"], ["scaled"], name="mul"),
        helper.make_node("Reshape", ["scaled", "c_shape"], ["Y"], name="reshape"),
    ]
    return model(nodes, [vi("X", F32, [3])], [vi("Y", F32, [1, 3])], {"": 17})


def unsorted_graph():
    # Listed consumers first; the valid order is add, relu, (two), mul.
    nodes = [
        helper.make_node("Mul", ["relu_out", "two"], ["Y"], name="mul"),
        helper.make_node("Relu", ["add_out"], ["relu_out"], name="relu"),
        helper.make_node("Add", ["X", "X"], ["add_out"], name="add"),
        helper.make_node("Constant", [], ["two"], name="two", value_float=2.0),
    ]
    return model(nodes, [vi("X", F32, [2, 4])], [vi("Y", F32, [2, 4])], {"": 17})


def inferred_result_types():
    # Softmax, Gelu and LeakyRelu outputs have no value_info, and the graph
    # output has a type but no shape: these ops' result type is their
    # operand's, and the importer must use it.
    nodes = [helper.make_node("Softmax", ["X"], ["probs"], name="softmax"),
             helper.make_node("Gelu", ["probs"], ["gelu"], name="gelu",
                              approximate="tanh"),
             helper.make_node("LeakyRelu", ["gelu"], ["Y"], name="leaky", alpha=0.2)]
    return model(nodes, [vi("X", F32, [2, 3])], [vi("Y", F32, None)], {"": 20})


def huge_external():
    # 1 GiB of float32 in huge-external.bin, which is not committed: the lit
    # test creates it as a sparse file.
    rows, cols = 256, 1048576
    nodes = [helper.make_node("MatMul", ["X", "W"], ["Y"], name="matmul")]
    inits = [external("W", F32, [rows, cols], "huge-external.bin", 0, rows * cols * 4)]
    return model(nodes, [vi("X", F32, [1, rows])], [vi("Y", F32, [1, cols])], {"": 17},
                 inits)


#===----------------------------------------------------------------------===#
# Invalid cases
#===----------------------------------------------------------------------===#

def empty_graph():
    # No nodes: the output is the input passed through.
    return model([], [vi("X", F32, [2])], [vi("X", F32, [2])], {"": 17})


def unknown_ops():
    nodes = [
        helper.make_node("Relu", ["X"], ["a"], name="ok_relu"),
        helper.make_node("FooBar", ["a"], ["b"], name="foo"),
        helper.make_node("Frobnicate", ["b"], ["c"], name="frob", domain="com.example"),
        helper.make_node("NotAnOp", ["c"], ["Y"], name="nope", domain="com.microsoft"),
    ]
    return model(nodes, [vi("X", F32, [2])], [vi("Y", F32, [2])],
                 {"": 18, "com.example": 3, "com.microsoft": 1})


def missing_initializer():
    # "W" is neither a graph input, an initializer nor a node output.
    nodes = [helper.make_node("MatMul", ["X", "W"], ["Y"], name="proj")]
    return model(nodes, [vi("X", F32, [1, 4])], [vi("Y", F32, [1, 4])], {"": 17})


def external_case(location, offset, length, dims=(4, 4)):
    nodes = [helper.make_node("Add", ["X", "W"], ["Y"], name="add")]
    return model(nodes, [vi("X", F32, list(dims))], [vi("Y", F32, list(dims))],
                 {"": 17}, [external("W", F32, list(dims), location, offset, length)])


def wrong_rank_transpose():
    nodes = [helper.make_node("Transpose", ["X"], ["Y"], name="transpose",
                              perm=[0, 2, 1])]
    return model(nodes, [vi("X", F32, [2, 3])], [vi("Y", F32, [3, 2])], {"": 17})


def wrong_rank_matmul():
    nodes = [helper.make_node("MatMul", ["A", "B"], ["Y"], name="matmul")]
    return model(nodes, [vi("A", F32, [2, 3]), vi("B", F32, [4, 5])],
                 [vi("Y", F32, [2, 5])], {"": 17})


def wrong_types_add():
    nodes = [helper.make_node("Add", ["X", "N"], ["Y"], name="add_mixed")]
    return model(nodes, [vi("X", F32, [4]), vi("N", I64, [4])], [vi("Y", F32, [4])],
                 {"": 17})


def cast_mismatch():
    # Cast to FLOAT16, but the output's value_info says float32.
    nodes = [helper.make_node("Cast", ["X"], ["Y"], name="to_half",
                              to=TensorProto.FLOAT16)]
    return model(nodes, [vi("X", F32, [4])], [vi("Y", F32, [4])], {"": 17})


def unsupported_opset(version):
    nodes = [helper.make_node("Relu", ["X"], ["Y"], name="relu")]
    return model(nodes, [vi("X", F32, [4])], [vi("Y", F32, [4])], {"": version},
                 ir_version=3 if version < 8 else 10)


def if_subgraph():
    then_g = helper.make_graph(
        [helper.make_node("Relu", ["X"], ["t"], name="then_relu")], "then_branch",
        [], [vi("t", F32, [4])])
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["X"], ["e"], name="else_neg")], "else_branch",
        [], [vi("e", F32, [4])])
    nodes = [helper.make_node("If", ["cond"], ["Y"], name="branch",
                              then_branch=then_g, else_branch=else_g)]
    return model(nodes, [vi("cond", TensorProto.BOOL, []), vi("X", F32, [4])],
                 [vi("Y", F32, [4])], {"": 17})


def rms_norm_opset18():
    nodes = [helper.make_node("RMSNormalization", ["X", "scale"], ["Y"], name="rms")]
    return model(nodes, [vi("X", F32, [2, 8]), vi("scale", F32, [8])],
                 [vi("Y", F32, [2, 8])], {"": 18})


def unknown_attribute():
    nodes = [helper.make_node("Softmax", ["X"], ["Y"], name="softmax", axis=-1,
                              temperature=0.5)]
    return model(nodes, [vi("X", F32, [2, 4])], [vi("Y", F32, [2, 4])], {"": 17})


def wrong_attribute_kind():
    # perm given as INT (would silently be dropped), axis given as STRING.
    nodes = [helper.make_node("Transpose", ["X"], ["T"], name="transpose", perm=1),
             helper.make_node("Softmax", ["T"], ["Y"], name="softmax", axis="last")]
    return model(nodes, [vi("X", F32, [2, 3])], [vi("Y", F32, [3, 2])], {"": 17})


def reduce_axes_attribute_opset18():
    # From opset 18 on, ReduceMean takes its axes as an input only.
    nodes = [helper.make_node("ReduceMean", ["X"], ["Y"], name="mean", axes=[-1])]
    return model(nodes, [vi("X", F32, [2, 8])], [vi("Y", F32, [2, 1])], {"": 18})


def duplicate_output():
    # Two nodes define "Y": ONNX graphs are SSA.
    nodes = [helper.make_node("Relu", ["X"], ["Y"], name="relu"),
             helper.make_node("Neg", ["X"], ["Y"], name="neg")]
    return model(nodes, [vi("X", F32, [4])], [vi("Y", F32, [4])], {"": 17})


def tensor_too_large():
    # 2^62 float32 elements: the byte size overflows 64 bits (to 0, which the
    # empty raw_data would match).
    t = TensorProto()
    t.name = "W"
    t.data_type = F32
    t.dims.append(1 << 62)
    t.raw_data = b""
    nodes = [helper.make_node("Add", ["X", "W"], ["Y"], name="add")]
    return model(nodes, [vi("X", F32, [4])], [vi("Y", F32, [4])], {"": 17}, [t])


#===----------------------------------------------------------------------===#
# Driver
#===----------------------------------------------------------------------===#

# (file name, builder, run onnxruntime?). ort=False says why in a comment.
VALID = [
    ("attention-23-gqa.onnx", attention_23_gqa, True),
    ("attention-24-3d.onnx", attention_24_3d, True),
    ("attention-23-causal.onnx", attention_23_causal, True),
    ("rotary-embedding-23.onnx", rotary_embedding_23, True),
    ("rms-normalization-23.onnx", rms_normalization_23, True),
    ("ms-group-query-attention.onnx", ms_group_query_attention, True),
    ("ms-multi-head-attention.onnx", ms_multi_head_attention, True),
    ("ms-group-query-attention-prefill.onnx", ms_group_query_attention_prefill, True),
    ("ms-multi-head-attention-causal.onnx", ms_multi_head_attention_causal, True),
    ("ms-rotary-embedding.onnx", ms_rotary_embedding, True),
    ("simplified-layer-norm.onnx", simplified_layer_norm, True),
    ("ms-skip-simplified-layer-norm.onnx", ms_skip_simplified_layer_norm, True),
    ("ms-matmul-nbits.onnx", ms_matmul_nbits, True),
    ("dq-int4-matmul.onnx", dq_int4_matmul, True),
    ("reduce-mean-opset17.onnx", lambda: reduce_mean(17), True),
    ("reduce-mean-opset18.onnx", lambda: reduce_mean(18), True),
    ("external-data.onnx", external_data, True),
    ("constants.onnx", constants, True),
    ("unsorted-graph.onnx", unsorted_graph, True),
    ("inferred-result-types.onnx", inferred_result_types, True),
    # The 1 GiB data file is not committed, so onnxruntime cannot load it.
    ("huge-external.onnx", huge_external, False),
]

INVALID = [
    ("empty-graph.onnx", empty_graph),
    ("unknown-ops.onnx", unknown_ops),
    ("missing-initializer.onnx", missing_initializer),
    ("external-missing-file.onnx",
     lambda: external_case("does-not-exist.bin", 0, 64)),
    ("external-offset-past-end.onnx",
     lambda: external_case("external-small.bin", 4096, 64)),
    ("external-length-mismatch.onnx",
     lambda: external_case("external-small.bin", 0, 60)),
    ("external-escape.onnx", lambda: external_case("../x.bin", 0, 64)),
    ("wrong-rank-transpose.onnx", wrong_rank_transpose),
    ("wrong-rank-matmul.onnx", wrong_rank_matmul),
    ("wrong-types-add.onnx", wrong_types_add),
    ("cast-mismatch.onnx", cast_mismatch),
    ("opset-7.onnx", lambda: unsupported_opset(7)),
    ("opset-30.onnx", lambda: unsupported_opset(30)),
    ("if-subgraph.onnx", if_subgraph),
    ("rms-norm-opset18.onnx", rms_norm_opset18),
    ("unknown-attribute.onnx", unknown_attribute),
    ("wrong-attribute-kind.onnx", wrong_attribute_kind),
    ("reduce-axes-attribute-opset18.onnx", reduce_axes_attribute_opset18),
    ("duplicate-output.onnx", duplicate_output),
    ("tensor-too-large.onnx", tensor_too_large),
]

# The model whose first half is invalid/truncated.onnx: the cut falls inside
# the raw_data of its initializer.
TRUNCATE_FROM = "rms-normalization-23.onnx"


def write(path, data):
    for bad in FORBIDDEN:
        if bad in data:
            sys.exit(f"error: {path} would contain the path fragment {bad!r}")
    with open(path, "wb") as f:
        f.write(data)


def check_with_ort(path):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.log_severity_level = 3
    ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.join(here, "..", "..", "test",
                                                       "fixtures"))
    parser.add_argument("--no-ort", action="store_true",
                        help="skip the onnxruntime check of the valid cases")
    args = parser.parse_args()
    cases = os.path.join(args.root, "cases")
    invalid = os.path.join(args.root, "invalid")
    os.makedirs(cases, exist_ok=True)
    os.makedirs(invalid, exist_ok=True)

    failures = []
    checked = 0
    serialized = {}
    # Data files first, so onnxruntime can resolve the external data.
    w, b = external_data_weights()
    write(os.path.join(cases, "external-data.bin"), w.tobytes() + b.tobytes())
    write(os.path.join(invalid, "external-small.bin"),
          np.arange(16, dtype=np.float32).tobytes())

    for name, build, ort_check in VALID:
        m = build()
        data = m.SerializeToString(deterministic=True)
        serialized[name] = data
        path = os.path.join(cases, name)
        write(path, data)
        if ort_check and not args.no_ort:
            try:
                check_with_ort(path)
                checked += 1
            except Exception as e:  # noqa: BLE001 - report every failing model
                failures.append(f"{name}: onnxruntime rejects it: {e}")

    for name, build in INVALID:
        write(os.path.join(invalid, name), build().SerializeToString(deterministic=True))

    full = serialized[TRUNCATE_FROM]
    write(os.path.join(invalid, "truncated.onnx"), full[: len(full) // 2])
    write(os.path.join(invalid, "not-onnx.txt"),
          b"This is a text file, not an ONNX model.\n")
    write(os.path.join(invalid, "random-bytes.onnx"),
          rng().integers(0, 256, size=512, dtype=np.uint8).tobytes())
    write(os.path.join(invalid, "empty.onnx"), b"")

    print(f"wrote {len(VALID)} valid cases to {os.path.relpath(cases)} "
          f"({checked} loaded by onnxruntime) and {len(INVALID) + 4} invalid "
          f"inputs to {os.path.relpath(invalid)}")
    for f in failures:
        print(f"error: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
