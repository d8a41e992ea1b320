// RUN: attnc-opt %s -split-input-file -attn-raise-attention | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-raise-attention | attnc-opt -split-input-file | FileCheck %s

// ONNX Attention, 4-D GQA (4 q heads, 2 kv heads), causal over equal static
// lengths, default scale 1/sqrt(16): q/k/v and the result are transposed
// between head-major and token-major; a Q that was itself transposed from
// token-major is used directly.
// CHECK-LABEL: func.func @onnx_4d_gqa_causal
// CHECK-SAME: (%[[X:.*]]: tensor<2x8x4x16xf32>, %[[K:.*]]: tensor<2x2x8x16xf32>, %[[V:.*]]: tensor<2x2x8x16xf32>)
// CHECK: %[[KT:.*]] = onnx.Transpose(%[[K]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x2x8x16xf32>) -> tensor<2x8x2x16xf32>
// CHECK: %[[VT:.*]] = onnx.Transpose(%[[V]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x2x8x16xf32>) -> tensor<2x8x2x16xf32>
// CHECK: %[[A:.*]] = attn.attention %[[X]], %[[KT]], %[[VT]] {head_dim = 16 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32} : (tensor<2x8x4x16xf32>, tensor<2x8x2x16xf32>, tensor<2x8x2x16xf32>) -> tensor<2x8x4x16xf32>
// CHECK: %[[Y:.*]] = onnx.Transpose(%[[A]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x8x16xf32>
// CHECK-NOT: onnx.Attention
// CHECK: return %[[Y]]
func.func @onnx_4d_gqa_causal(%x: tensor<2x8x4x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x2x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %none = onnx.NoValue() : () -> none
  %q = onnx.Transpose(%x) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x8x16xf32>
  %y, %pk, %pv, %qk = onnx.Attention(%q, %k, %v, %none, %none, %none, %none) {is_causal = 1 : i64} : (tensor<2x4x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, none, none, none, none) -> (tensor<2x4x8x16xf32>, none, none, none)
  return %y : tensor<2x4x8x16xf32>
}

// -----

// ONNX Attention, 4-D MHA, causal over dynamic lengths that are the same
// dim_param "seq" (so top-left and bottom-right causal alignment agree).
// CHECK-LABEL: func.func @onnx_4d_mha_causal_symbolic
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {head_dim = 8 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, scale = 0.353553385 : f32} : (tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>) -> tensor<?x?x2x8xf32>
// CHECK-NOT: onnx.Attention
func.func @onnx_4d_mha_causal_symbolic(%q: tensor<?x2x?x8xf32> {onnx.dim_params = ["batch", "", "seq", ""]}, %k: tensor<?x2x?x8xf32> {onnx.dim_params = ["batch", "", "seq", ""]}, %v: tensor<?x2x?x8xf32> {onnx.dim_params = ["batch", "", "seq", ""]}) -> tensor<?x2x?x8xf32> {
  %none = onnx.NoValue() : () -> none
  %y, %pk, %pv, %qk = onnx.Attention(%q, %k, %v, %none, %none, %none, %none) {is_causal = 1 : i64} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, none, none, none, none) -> (tensor<?x2x?x8xf32>, none, none, none)
  return %y : tensor<?x2x?x8xf32>
}

// -----

// ONNX Attention, 3-D GQA with q_num_heads/kv_num_heads, not causal, q and kv
// of different lengths (cross-attention), explicit scale and softcap: q/k/v
// are split into heads with Reshape(0, 0, heads, d) and merged back.
// CHECK-LABEL: func.func @onnx_3d_gqa_softcap
// CHECK-SAME: (%[[Q:.*]]: tensor<1x8x64xf32>, %[[K:.*]]: tensor<1x6x32xf32>, %[[V:.*]]: tensor<1x6x32xf32>)
// CHECK: %[[QS:.*]] = onnx.Constant() {value = dense<[0, 0, 4, 16]> : tensor<4xi64>}
// CHECK: %[[Q4:.*]] = onnx.Reshape(%[[Q]], %[[QS]]) : (tensor<1x8x64xf32>, tensor<4xi64>) -> tensor<1x8x4x16xf32>
// CHECK: %[[KS:.*]] = onnx.Constant() {value = dense<[0, 0, 2, 16]> : tensor<4xi64>}
// CHECK: %[[K4:.*]] = onnx.Reshape(%[[K]], %[[KS]]) : (tensor<1x6x32xf32>, tensor<4xi64>) -> tensor<1x6x2x16xf32>
// CHECK: %[[V4:.*]] = onnx.Reshape(%[[V]], %{{.*}}) : (tensor<1x6x32xf32>, tensor<4xi64>) -> tensor<1x6x2x16xf32>
// CHECK: %[[A:.*]] = attn.attention %[[Q4]], %[[K4]], %[[V4]] {causal = false, head_dim = 16 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 1.250000e-01 : f32, softcap = 3.000000e+01 : f32}
// CHECK: %[[YS:.*]] = onnx.Constant() {value = dense<[0, 0, 64]> : tensor<3xi64>}
// CHECK: %[[Y:.*]] = onnx.Reshape(%[[A]], %[[YS]]) : (tensor<1x8x4x16xf32>, tensor<3xi64>) -> tensor<1x8x64xf32>
// CHECK: return %[[Y]]
func.func @onnx_3d_gqa_softcap(%q: tensor<1x8x64xf32>, %k: tensor<1x6x32xf32>, %v: tensor<1x6x32xf32>) -> tensor<1x8x64xf32> {
  %none = onnx.NoValue() : () -> none
  %y, %pk, %pv, %qk = onnx.Attention(%q, %k, %v, %none, %none, %none, %none) {q_num_heads = 4 : i64, kv_num_heads = 2 : i64, scale = 0.125 : f32, softcap = 30.0 : f32} : (tensor<1x8x64xf32>, tensor<1x6x32xf32>, tensor<1x6x32xf32>, none, none, none, none) -> (tensor<1x8x64xf32>, none, none, none)
  return %y : tensor<1x8x64xf32>
}

// -----

// ONNX Attention, 3-D MQA (one kv head) with a smaller v head size, causal
// with softcap (softcap before the mask, as the reference implementation and
// onnxruntime compute it) and softmax_precision float.
// CHECK-LABEL: func.func @onnx_3d_mqa_causal
// CHECK: %[[V4:.*]] = onnx.Reshape(%{{.*}}, %{{.*}}) : (tensor<1x8x8xf32>, tensor<4xi64>) -> tensor<1x8x1x8xf32>
// CHECK: %[[A:.*]] = attn.attention %{{.*}}, %{{.*}}, %[[V4]] {head_dim = 16 : i64, num_heads = 4 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32, softcap = 5.000000e+01 : f32} : (tensor<1x8x4x16xf32>, tensor<1x8x1x16xf32>, tensor<1x8x1x8xf32>) -> tensor<1x8x4x8xf32>
// CHECK: onnx.Reshape(%[[A]], %{{.*}}) : (tensor<1x8x4x8xf32>, tensor<3xi64>) -> tensor<1x8x32xf32>
func.func @onnx_3d_mqa_causal(%q: tensor<1x8x64xf32>, %k: tensor<1x8x16xf32>, %v: tensor<1x8x8xf32>) -> tensor<1x8x32xf32> {
  %none = onnx.NoValue() : () -> none
  %y, %pk, %pv, %qk = onnx.Attention(%q, %k, %v, %none, %none, %none, %none) {is_causal = 1 : i64, q_num_heads = 4 : i64, kv_num_heads = 1 : i64, softcap = 50.0 : f32, softmax_precision = 1 : i64} : (tensor<1x8x64xf32>, tensor<1x8x16xf32>, tensor<1x8x8xf32>, none, none, none, none) -> (tensor<1x8x32xf32>, none, none, none)
  return %y : tensor<1x8x32xf32>
}

// -----

// Must not fire: attn_mask is given (a mask operand is not classified here).
// CHECK-LABEL: func.func @onnx_attn_mask
// CHECK-NOT: attn.attention
// CHECK: onnx.Attention
func.func @onnx_attn_mask(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %m: tensor<8x8xi1>) -> tensor<1x2x8x16xf32> {
  %none = onnx.NoValue() : () -> none
  %y, %pk, %pv, %qk = onnx.Attention(%q, %k, %v, %m, %none, %none, %none) : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<8x8xi1>, none, none, none) -> (tensor<1x2x8x16xf32>, none, none, none)
  return %y : tensor<1x2x8x16xf32>
}

// -----

// Must not fire: past_key/past_value are given (the KV cache).
// CHECK-LABEL: func.func @onnx_past
// CHECK-NOT: attn.attention
// CHECK: onnx.Attention
func.func @onnx_past(%q: tensor<1x2x1x16xf32>, %k: tensor<1x2x1x16xf32>, %v: tensor<1x2x1x16xf32>, %pk: tensor<1x2x7x16xf32>, %pv: tensor<1x2x7x16xf32>) -> tensor<1x2x1x16xf32> {
  %none = onnx.NoValue() : () -> none
  %y, %nk, %nv, %qk = onnx.Attention(%q, %k, %v, %none, %pk, %pv, %none) {is_causal = 1 : i64} : (tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32>, none, tensor<1x2x7x16xf32>, tensor<1x2x7x16xf32>, none) -> (tensor<1x2x1x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, none)
  return %y : tensor<1x2x1x16xf32>
}

// -----

// Must not fire: qk_matmul_output is used.
// CHECK-LABEL: func.func @onnx_qk_output_used
// CHECK-NOT: attn.attention
// CHECK: onnx.Attention
func.func @onnx_qk_output_used(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>) {
  %none = onnx.NoValue() : () -> none
  %y, %pk, %pv, %qk = onnx.Attention(%q, %k, %v, %none, %none, %none, %none) {qk_matmul_output_mode = 3 : i64} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, none, none, none, none) -> (tensor<1x2x8x16xf32>, none, none, tensor<1x2x8x8xf32>)
  return %y, %qk : tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>
}

// -----

// Must not fire: present_key is used (even without past it is a second
// result the raised form does not produce).
// CHECK-LABEL: func.func @onnx_present_used
// CHECK-NOT: attn.attention
// CHECK: onnx.Attention
func.func @onnx_present_used(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %none = onnx.NoValue() : () -> none
  %y, %pk, %pv, %qk = onnx.Attention(%q, %k, %v, %none, %none, %none, %none) : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, none, none, none, none) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, none, none)
  return %y, %pk : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// -----

// Must not fire: nonpad_kv_seqlen is given (per-batch KV lengths).
// CHECK-LABEL: func.func @onnx_nonpad_kv_seqlen
// CHECK-NOT: attn.attention
// CHECK: onnx.Attention
func.func @onnx_nonpad_kv_seqlen(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %n: tensor<1xi64>) -> tensor<1x2x8x16xf32> {
  %none = onnx.NoValue() : () -> none
  %y, %pk, %pv, %qk = onnx.Attention(%q, %k, %v, %none, %none, %none, %n) : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, none, none, none, tensor<1xi64>) -> (tensor<1x2x8x16xf32>, none, none, none)
  return %y : tensor<1x2x8x16xf32>
}

// -----

// Must not fire: causal with q shorter than kv. Without a cache ONNX aligns
// the causal mask top-left (j <= i), attn.attention bottom-right.
// CHECK-LABEL: func.func @onnx_causal_lengths_differ
// CHECK-NOT: attn.attention
// CHECK: onnx.Attention
func.func @onnx_causal_lengths_differ(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x4x16xf32> {
  %none = onnx.NoValue() : () -> none
  %y, %pk, %pv, %qk = onnx.Attention(%q, %k, %v, %none, %none, %none, %none) {is_causal = 1 : i64} : (tensor<1x2x4x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, none, none, none, none) -> (tensor<1x2x4x16xf32>, none, none, none)
  return %y : tensor<1x2x4x16xf32>
}

// -----

// Must not fire: causal over dynamic lengths not known to be equal (no
// dim_params, so each ? is its own symbol).
// CHECK-LABEL: func.func @onnx_causal_lengths_unknown
// CHECK-NOT: attn.attention
// CHECK: onnx.Attention
func.func @onnx_causal_lengths_unknown(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32> {
  %none = onnx.NoValue() : () -> none
  %y, %pk, %pv, %qk = onnx.Attention(%q, %k, %v, %none, %none, %none, %none) {is_causal = 1 : i64} : (tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, none, none, none, none) -> (tensor<1x2x?x16xf32>, none, none, none)
  return %y : tensor<1x2x?x16xf32>
}

// -----

// Must not fire: softmax in half precision is not what attn.attention does.
// CHECK-LABEL: func.func @onnx_softmax_precision_half
// CHECK-NOT: attn.attention
// CHECK: onnx.Attention
func.func @onnx_softmax_precision_half(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %none = onnx.NoValue() : () -> none
  %y, %pk, %pv, %qk = onnx.Attention(%q, %k, %v, %none, %none, %none, %none) {softmax_precision = 10 : i64} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, none, none, none, none) -> (tensor<1x2x8x16xf32>, none, none, none)
  return %y : tensor<1x2x8x16xf32>
}

// -----

// Must not fire: bad layouts - Q 3-D with K/V 4-D, and a 3-D hidden size that
// q_num_heads does not divide.
// CHECK-LABEL: func.func @onnx_bad_layouts
// CHECK-NOT: attn.attention
// CHECK: onnx.Attention
// CHECK: onnx.Attention
func.func @onnx_bad_layouts(%q: tensor<1x8x64xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %q3: tensor<1x8x60xf32>, %k3: tensor<1x8x32xf32>) -> (tensor<1x8x64xf32>, tensor<1x8x32xf32>) {
  %none = onnx.NoValue() : () -> none
  %y, %pk, %pv, %qk = onnx.Attention(%q, %k, %v, %none, %none, %none, %none) {q_num_heads = 4 : i64, kv_num_heads = 2 : i64} : (tensor<1x8x64xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, none, none, none, none) -> (tensor<1x8x64xf32>, none, none, none)
  %y3, %pk3, %pv3, %qk3 = onnx.Attention(%q3, %k3, %k3, %none, %none, %none, %none) {q_num_heads = 8 : i64, kv_num_heads = 2 : i64} : (tensor<1x8x60xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>, none, none, none, none) -> (tensor<1x8x32xf32>, none, none, none)
  return %y, %y3 : tensor<1x8x64xf32>, tensor<1x8x32xf32>
}

// -----

// com.microsoft GroupQueryAttention prefill without past (presents unread):
// always causal; local_window_size 4 keeps the 4 most recent keys including
// the query's own (onnxruntime >= 1.23), which is window = 4; softcap kept;
// default scale 1/sqrt(16); runtime seqlens_k/total_sequence_length.
// CHECK-LABEL: func.func @gqa_prefill_window
// CHECK-SAME: (%[[Q:.*]]: tensor<?x?x64xf32>{{.*}}, %[[K:.*]]: tensor<?x?x32xf32>{{.*}}, %[[V:.*]]: tensor<?x?x32xf32>
// CHECK: %[[Q4:.*]] = onnx.Reshape(%[[Q]], %{{.*}}) : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
// CHECK: %[[K4:.*]] = onnx.Reshape(%[[K]], %{{.*}}) : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x2x16xf32>
// CHECK: %[[V4:.*]] = onnx.Reshape(%[[V]], %{{.*}}) : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x2x16xf32>
// CHECK: %[[A:.*]] = attn.attention %[[Q4]], %[[K4]], %[[V4]] {head_dim = 16 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32, softcap = 5.000000e+01 : f32, window = 4 : i64}
// CHECK: %[[Y:.*]] = onnx.Reshape(%[[A]], %{{.*}}) : (tensor<?x?x4x16xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
// CHECK-NOT: onnx.ms.GroupQueryAttention
// CHECK: return %[[Y]]
func.func @gqa_prefill_window(%q: tensor<?x?x64xf32> {onnx.dim_params = ["batch", "seq", ""]}, %k: tensor<?x?x32xf32> {onnx.dim_params = ["batch", "seq", ""]}, %v: tensor<?x?x32xf32> {onnx.dim_params = ["batch", "seq", ""]}, %seqlens: tensor<?xi32>, %total: tensor<i32>) -> tensor<?x?x64xf32> {
  %none = onnx.NoValue() : () -> none
  %o, %pk, %pv, %qk = onnx.ms.GroupQueryAttention(%q, %k, %v, %none, %none, %seqlens, %total, %none, %none, %none, %none, %none) {num_heads = 4 : i64, kv_num_heads = 2 : i64, local_window_size = 4 : i64, softcap = 50.0 : f32} : (tensor<?x?x64xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>, none, none, tensor<?xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<?x?x64xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, none)
  return %o : tensor<?x?x64xf32>
}

// -----

// GroupQueryAttention with q/k/v packed in query ((4 + 2 * 2) * 16 = 128):
// split along the last dim, no window, explicit scale.
// CHECK-LABEL: func.func @gqa_packed_qkv
// CHECK: %[[SIZES:.*]] = onnx.Constant() {value = dense<[64, 32, 32]> : tensor<3xi64>}
// CHECK: %[[S:.*]]:3 = onnx.Split(%{{.*}}, %[[SIZES]]) {axis = 2 : i64} : (tensor<1x8x128xf32>, tensor<3xi64>) -> (tensor<1x8x64xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>)
// CHECK: onnx.Reshape(%[[S]]#0, %{{.*}}) : (tensor<1x8x64xf32>, tensor<4xi64>) -> tensor<1x8x4x16xf32>
// CHECK: onnx.Reshape(%[[S]]#1, %{{.*}}) : (tensor<1x8x32xf32>, tensor<4xi64>) -> tensor<1x8x2x16xf32>
// CHECK: onnx.Reshape(%[[S]]#2, %{{.*}}) : (tensor<1x8x32xf32>, tensor<4xi64>) -> tensor<1x8x2x16xf32>
// CHECK: attn.attention {{.*}} {head_dim = 16 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 1.250000e-01 : f32}
// CHECK-NOT: onnx.ms.GroupQueryAttention
func.func @gqa_packed_qkv(%qkv: tensor<1x8x128xf32>, %seqlens: tensor<1xi32>, %total: tensor<i32>) -> tensor<1x8x64xf32> {
  %none = onnx.NoValue() : () -> none
  %o, %pk, %pv, %qk = onnx.ms.GroupQueryAttention(%qkv, %none, %none, %none, %none, %seqlens, %total, %none, %none, %none, %none, %none) {num_heads = 4 : i64, kv_num_heads = 2 : i64, scale = 0.125 : f32} : (tensor<1x8x128xf32>, none, none, none, none, tensor<1xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<1x8x64xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, none)
  return %o : tensor<1x8x64xf32>
}

// -----

// GroupQueryAttention as MQA (one kv head) with constant lengths that describe
// a prefill of the whole query: seqlens_k = seq - 1, total = seq.
// CHECK-LABEL: func.func @gqa_mqa_constant_lengths
// CHECK: attn.attention {{.*}} {head_dim = 8 : i64, num_heads = 4 : i64, num_kv_heads = 1 : i64, scale = 0.353553385 : f32} : (tensor<2x6x4x8xf32>, tensor<2x6x1x8xf32>, tensor<2x6x1x8xf32>) -> tensor<2x6x4x8xf32>
// CHECK-NOT: onnx.ms.GroupQueryAttention
func.func @gqa_mqa_constant_lengths(%q: tensor<2x6x32xf32>, %k: tensor<2x6x8xf32>, %v: tensor<2x6x8xf32>) -> tensor<2x6x32xf32> {
  %none = onnx.NoValue() : () -> none
  %seqlens = onnx.Constant() {value = dense<5> : tensor<2xi32>} : () -> tensor<2xi32>
  %total = onnx.Constant() {value = dense<6> : tensor<i32>} : () -> tensor<i32>
  %o, %pk, %pv, %qk = onnx.ms.GroupQueryAttention(%q, %k, %v, %none, %none, %seqlens, %total, %none, %none, %none, %none, %none) {num_heads = 4 : i64, kv_num_heads = 1 : i64} : (tensor<2x6x32xf32>, tensor<2x6x8xf32>, tensor<2x6x8xf32>, none, none, tensor<2xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<2x6x32xf32>, tensor<2x1x6x8xf32>, tensor<2x1x6x8xf32>, none)
  return %o : tensor<2x6x32xf32>
}

// -----

// Must not fire: constant seqlens_k of a padded batch (3 of 6 tokens) or a
// total_sequence_length beyond the query (a cache that is not there).
// CHECK-LABEL: func.func @gqa_constant_lengths_not_prefill
// CHECK-NOT: attn.attention
// CHECK: onnx.ms.GroupQueryAttention
// CHECK: onnx.ms.GroupQueryAttention
func.func @gqa_constant_lengths_not_prefill(%q: tensor<1x6x32xf32>, %k: tensor<1x6x8xf32>, %v: tensor<1x6x8xf32>) -> (tensor<1x6x32xf32>, tensor<1x6x32xf32>) {
  %none = onnx.NoValue() : () -> none
  %seqlens = onnx.Constant() {value = dense<2> : tensor<1xi32>} : () -> tensor<1xi32>
  %total = onnx.Constant() {value = dense<6> : tensor<i32>} : () -> tensor<i32>
  %seqlens2 = onnx.Constant() {value = dense<5> : tensor<1xi32>} : () -> tensor<1xi32>
  %total2 = onnx.Constant() {value = dense<9> : tensor<i32>} : () -> tensor<i32>
  %o, %pk, %pv, %qk = onnx.ms.GroupQueryAttention(%q, %k, %v, %none, %none, %seqlens, %total, %none, %none, %none, %none, %none) {num_heads = 4 : i64, kv_num_heads = 1 : i64} : (tensor<1x6x32xf32>, tensor<1x6x8xf32>, tensor<1x6x8xf32>, none, none, tensor<1xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<1x6x32xf32>, tensor<1x1x6x8xf32>, tensor<1x1x6x8xf32>, none)
  %o2, %pk2, %pv2, %qk2 = onnx.ms.GroupQueryAttention(%q, %k, %v, %none, %none, %seqlens2, %total2, %none, %none, %none, %none, %none) {num_heads = 4 : i64, kv_num_heads = 1 : i64} : (tensor<1x6x32xf32>, tensor<1x6x8xf32>, tensor<1x6x8xf32>, none, none, tensor<1xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<1x6x32xf32>, tensor<1x1x9x8xf32>, tensor<1x1x9x8xf32>, none)
  return %o, %o2 : tensor<1x6x32xf32>, tensor<1x6x32xf32>
}

// -----

// Must not fire: past_key/past_value are given (a decode step over a cache).
// CHECK-LABEL: func.func @gqa_past
// CHECK-NOT: attn.attention
// CHECK: onnx.ms.GroupQueryAttention
func.func @gqa_past(%q: tensor<1x1x64xf32>, %k: tensor<1x1x32xf32>, %v: tensor<1x1x32xf32>, %pk: tensor<1x2x8x16xf32>, %pv: tensor<1x2x8x16xf32>, %seqlens: tensor<1xi32>, %total: tensor<i32>) -> (tensor<1x1x64xf32>, tensor<1x2x9x16xf32>, tensor<1x2x9x16xf32>) {
  %none = onnx.NoValue() : () -> none
  %o, %nk, %nv, %qk = onnx.ms.GroupQueryAttention(%q, %k, %v, %pk, %pv, %seqlens, %total, %none, %none, %none, %none, %none) {num_heads = 4 : i64, kv_num_heads = 2 : i64} : (tensor<1x1x64xf32>, tensor<1x1x32xf32>, tensor<1x1x32xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<1x1x64xf32>, tensor<1x2x9x16xf32>, tensor<1x2x9x16xf32>, none)
  return %o, %nk, %nv : tensor<1x1x64xf32>, tensor<1x2x9x16xf32>, tensor<1x2x9x16xf32>
}

// -----

// Must not fire: no past, but present_key/present_value are read.
// CHECK-LABEL: func.func @gqa_present_used
// CHECK-NOT: attn.attention
// CHECK: onnx.ms.GroupQueryAttention
func.func @gqa_present_used(%q: tensor<1x8x64xf32>, %k: tensor<1x8x32xf32>, %v: tensor<1x8x32xf32>, %seqlens: tensor<1xi32>, %total: tensor<i32>) -> (tensor<1x8x64xf32>, tensor<1x2x8x16xf32>) {
  %none = onnx.NoValue() : () -> none
  %o, %pk, %pv, %qk = onnx.ms.GroupQueryAttention(%q, %k, %v, %none, %none, %seqlens, %total, %none, %none, %none, %none, %none) {num_heads = 4 : i64, kv_num_heads = 2 : i64} : (tensor<1x8x64xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>, none, none, tensor<1xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<1x8x64xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, none)
  return %o, %pk : tensor<1x8x64xf32>, tensor<1x2x8x16xf32>
}

// -----

// Must not fire: do_rotary=1 (RoPE inside the op is not raised yet).
// CHECK-LABEL: func.func @gqa_do_rotary
// CHECK-NOT: attn.attention
// CHECK: onnx.ms.GroupQueryAttention
func.func @gqa_do_rotary(%q: tensor<1x8x64xf32>, %k: tensor<1x8x32xf32>, %v: tensor<1x8x32xf32>, %seqlens: tensor<1xi32>, %total: tensor<i32>, %cos: tensor<32x8xf32>, %sin: tensor<32x8xf32>) -> tensor<1x8x64xf32> {
  %none = onnx.NoValue() : () -> none
  %o, %pk, %pv, %qk = onnx.ms.GroupQueryAttention(%q, %k, %v, %none, %none, %seqlens, %total, %cos, %sin, %none, %none, %none) {num_heads = 4 : i64, kv_num_heads = 2 : i64, do_rotary = 1 : i64} : (tensor<1x8x64xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>, none, none, tensor<1xi32>, tensor<i32>, tensor<32x8xf32>, tensor<32x8xf32>, none, none, none) -> (tensor<1x8x64xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, none)
  return %o : tensor<1x8x64xf32>
}

// -----

// Must not fire: attention_bias is given, or smooth_softmax is set.
// CHECK-LABEL: func.func @gqa_bias_smooth_softmax
// CHECK-NOT: attn.attention
// CHECK: onnx.ms.GroupQueryAttention
// CHECK: onnx.ms.GroupQueryAttention
func.func @gqa_bias_smooth_softmax(%q: tensor<1x8x64xf32>, %k: tensor<1x8x32xf32>, %v: tensor<1x8x32xf32>, %seqlens: tensor<1xi32>, %total: tensor<i32>, %bias: tensor<1x4x8x8xf32>) -> (tensor<1x8x64xf32>, tensor<1x8x64xf32>) {
  %none = onnx.NoValue() : () -> none
  %o, %pk, %pv, %qk = onnx.ms.GroupQueryAttention(%q, %k, %v, %none, %none, %seqlens, %total, %none, %none, %none, %bias, %none) {num_heads = 4 : i64, kv_num_heads = 2 : i64} : (tensor<1x8x64xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>, none, none, tensor<1xi32>, tensor<i32>, none, none, none, tensor<1x4x8x8xf32>, none) -> (tensor<1x8x64xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, none)
  %o2, %pk2, %pv2, %qk2 = onnx.ms.GroupQueryAttention(%q, %k, %v, %none, %none, %seqlens, %total, %none, %none, %none, %none, %none) {num_heads = 4 : i64, kv_num_heads = 2 : i64, smooth_softmax = 1 : i64} : (tensor<1x8x64xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>, none, none, tensor<1xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<1x8x64xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, none)
  return %o, %o2 : tensor<1x8x64xf32>, tensor<1x8x64xf32>
}

// -----

// Must not fire: bad layout - key width is not kv_num_heads * head_size.
// CHECK-LABEL: func.func @gqa_bad_layout
// CHECK-NOT: attn.attention
// CHECK: onnx.ms.GroupQueryAttention
func.func @gqa_bad_layout(%q: tensor<1x8x64xf32>, %k: tensor<1x8x48xf32>, %v: tensor<1x8x48xf32>, %seqlens: tensor<1xi32>, %total: tensor<i32>) -> tensor<1x8x64xf32> {
  %none = onnx.NoValue() : () -> none
  %o, %pk, %pv, %qk = onnx.ms.GroupQueryAttention(%q, %k, %v, %none, %none, %seqlens, %total, %none, %none, %none, %none, %none) {num_heads = 4 : i64, kv_num_heads = 2 : i64} : (tensor<1x8x64xf32>, tensor<1x8x48xf32>, tensor<1x8x48xf32>, none, none, tensor<1xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<1x8x64xf32>, none, none, none)
  return %o : tensor<1x8x64xf32>
}

// -----

// com.microsoft MultiHeadAttention, self-attention, unidirectional (causal),
// with a constant bias [q | k | v] added to q, k and v first; default scale.
// CHECK-LABEL: func.func @mha_causal_bias
// CHECK-SAME: (%[[Q:.*]]: tensor<1x8x32xf32>, %[[K:.*]]: tensor<1x8x32xf32>, %[[V:.*]]: tensor<1x8x32xf32>)
// CHECK: %[[B:.*]] = onnx.Constant() {value = dense<{{.*}}> : tensor<96xf32>}
// CHECK: %[[BQ:.*]] = onnx.Slice(%[[B]], {{.*}}) : (tensor<96xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<32xf32>
// CHECK: %[[QB:.*]] = onnx.Add(%[[Q]], %[[BQ]]) : (tensor<1x8x32xf32>, tensor<32xf32>) -> tensor<1x8x32xf32>
// CHECK: %[[BK:.*]] = onnx.Slice(%[[B]], {{.*}}) : (tensor<96xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<32xf32>
// CHECK: %[[KB:.*]] = onnx.Add(%[[K]], %[[BK]])
// CHECK: %[[BV:.*]] = onnx.Slice(%[[B]], {{.*}}) : (tensor<96xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<32xf32>
// CHECK: %[[VB:.*]] = onnx.Add(%[[V]], %[[BV]])
// CHECK: %[[Q4:.*]] = onnx.Reshape(%[[QB]], %{{.*}}) : (tensor<1x8x32xf32>, tensor<4xi64>) -> tensor<1x8x4x8xf32>
// CHECK: %[[K4:.*]] = onnx.Reshape(%[[KB]], %{{.*}})
// CHECK: %[[V4:.*]] = onnx.Reshape(%[[VB]], %{{.*}})
// CHECK: attn.attention %[[Q4]], %[[K4]], %[[V4]] {head_dim = 8 : i64, num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 0.353553385 : f32}
// CHECK-NOT: onnx.ms.MultiHeadAttention
func.func @mha_causal_bias(%q: tensor<1x8x32xf32>, %k: tensor<1x8x32xf32>, %v: tensor<1x8x32xf32>) -> tensor<1x8x32xf32> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<0.5> : tensor<96xf32>} : () -> tensor<96xf32>
  %o, %pk, %pv, %qk = onnx.ms.MultiHeadAttention(%q, %k, %v, %b, %none, %none, %none, %none, %none, %none) {num_heads = 4 : i64, unidirectional = 1 : i64} : (tensor<1x8x32xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>, tensor<96xf32>, none, none, none, none, none, none) -> (tensor<1x8x32xf32>, none, none, none)
  return %o : tensor<1x8x32xf32>
}

// -----

// MultiHeadAttention cross-attention: not causal, kv longer than q, v head
// size 4 (v_hidden 16) differs from q/k's 8, explicit scale.
// CHECK-LABEL: func.func @mha_cross
// CHECK: %[[A:.*]] = attn.attention {{.*}} {causal = false, head_dim = 8 : i64, num_heads = 4 : i64, num_kv_heads = 4 : i64, scale = 5.000000e-01 : f32} : (tensor<2x3x4x8xf32>, tensor<2x10x4x8xf32>, tensor<2x10x4x4xf32>) -> tensor<2x3x4x4xf32>
// CHECK: onnx.Reshape(%[[A]], %{{.*}}) : (tensor<2x3x4x4xf32>, tensor<3xi64>) -> tensor<2x3x16xf32>
// CHECK-NOT: onnx.ms.MultiHeadAttention
func.func @mha_cross(%q: tensor<2x3x32xf32>, %k: tensor<2x10x32xf32>, %v: tensor<2x10x16xf32>) -> tensor<2x3x16xf32> {
  %none = onnx.NoValue() : () -> none
  %o, %pk, %pv, %qk = onnx.ms.MultiHeadAttention(%q, %k, %v, %none, %none, %none, %none, %none, %none, %none) {num_heads = 4 : i64, scale = 0.5 : f32} : (tensor<2x3x32xf32>, tensor<2x10x32xf32>, tensor<2x10x16xf32>, none, none, none, none, none, none, none) -> (tensor<2x3x16xf32>, none, none, none)
  return %o : tensor<2x3x16xf32>
}

// -----

// Must not fire: key_padding_mask, attention_bias, past, or a bias that is
// not a constant.
// CHECK-LABEL: func.func @mha_refused_inputs
// CHECK-NOT: attn.attention
// CHECK-COUNT-4: onnx.ms.MultiHeadAttention
func.func @mha_refused_inputs(%q: tensor<1x8x32xf32>, %k: tensor<1x8x32xf32>, %v: tensor<1x8x32xf32>, %mask: tensor<1x8xi32>, %ab: tensor<1x4x8x8xf32>, %pk: tensor<1x4x8x8xf32>, %b: tensor<96xf32>) -> (tensor<1x8x32xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>) {
  %none = onnx.NoValue() : () -> none
  %o1, %a1, %b1, %c1 = onnx.ms.MultiHeadAttention(%q, %k, %v, %none, %mask, %none, %none, %none, %none, %none) {num_heads = 4 : i64} : (tensor<1x8x32xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>, none, tensor<1x8xi32>, none, none, none, none, none) -> (tensor<1x8x32xf32>, none, none, none)
  %o2, %a2, %b2, %c2 = onnx.ms.MultiHeadAttention(%q, %k, %v, %none, %none, %ab, %none, %none, %none, %none) {num_heads = 4 : i64} : (tensor<1x8x32xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>, none, none, tensor<1x4x8x8xf32>, none, none, none, none) -> (tensor<1x8x32xf32>, none, none, none)
  %o3, %a3, %b3, %c3 = onnx.ms.MultiHeadAttention(%q, %k, %v, %none, %none, %none, %pk, %pk, %none, %none) {num_heads = 4 : i64} : (tensor<1x8x32xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>, none, none, none, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, none, none) -> (tensor<1x8x32xf32>, none, none, none)
  %o4, %a4, %b4, %c4 = onnx.ms.MultiHeadAttention(%q, %k, %v, %b, %none, %none, %none, %none, %none, %none) {num_heads = 4 : i64} : (tensor<1x8x32xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>, tensor<96xf32>, none, none, none, none, none, none) -> (tensor<1x8x32xf32>, none, none, none)
  return %o1, %o2, %o3, %o4 : tensor<1x8x32xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>
}

// -----

// Must not fire: packed QKV (5-D query, key/value omitted), a unidirectional
// cross-attention whose lengths differ, and qk read.
// CHECK-LABEL: func.func @mha_refused_forms
// CHECK-NOT: attn.attention
// CHECK-COUNT-3: onnx.ms.MultiHeadAttention
func.func @mha_refused_forms(%qkv: tensor<1x8x4x3x8xf32>, %q: tensor<1x4x32xf32>, %k: tensor<1x8x32xf32>, %v: tensor<1x8x32xf32>) -> (tensor<1x8x32xf32>, tensor<1x4x32xf32>, tensor<1x4x32xf32>, tensor<1x4x4x8xf32>) {
  %none = onnx.NoValue() : () -> none
  %o1, %a1, %b1, %c1 = onnx.ms.MultiHeadAttention(%qkv, %none, %none, %none, %none, %none, %none, %none, %none, %none) {num_heads = 4 : i64} : (tensor<1x8x4x3x8xf32>, none, none, none, none, none, none, none, none, none) -> (tensor<1x8x32xf32>, none, none, none)
  %o2, %a2, %b2, %c2 = onnx.ms.MultiHeadAttention(%q, %k, %v, %none, %none, %none, %none, %none, %none, %none) {num_heads = 4 : i64, unidirectional = 1 : i64} : (tensor<1x4x32xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>, none, none, none, none, none, none, none) -> (tensor<1x4x32xf32>, none, none, none)
  %o3, %a3, %b3, %c3 = onnx.ms.MultiHeadAttention(%q, %k, %v, %none, %none, %none, %none, %none, %none, %none) {num_heads = 4 : i64} : (tensor<1x4x32xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>, none, none, none, none, none, none, none) -> (tensor<1x4x32xf32>, none, none, tensor<1x4x4x8xf32>)
  return %o1, %o2, %o3, %c3 : tensor<1x8x32xf32>, tensor<1x4x32xf32>, tensor<1x4x32xf32>, tensor<1x4x4x8xf32>
}
