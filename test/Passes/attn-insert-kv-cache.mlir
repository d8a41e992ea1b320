// RUN: attnc-opt %s -split-input-file -attn-insert-kv-cache | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-insert-kv-cache | attnc-opt -split-input-file | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-insert-kv-cache="page-size=32" | FileCheck %s --check-prefix=PAGE32

// A one-layer LLaMA-style raised graph (input_ids / attention_mask [batch, seq],
// as imported) becomes a step function over a flat batch of tokens: the
// inputs are token_ids / positions / logit_tokens, every activation is
// [tokens, ...], Reshape targets lose their leading 0, attn.positions is the
// positions argument, attention reads the paged cache (layer 0, group 0), the
// padding mask and its Cast are gone, and the logit rows are selected before
// the final norm. The page size defaults to 16; page-size sets it.
// CHECK-LABEL: func.func @llama_one_layer
// CHECK-SAME: (%[[TOK:.*]]: tensor<?xi64> {attn.step_input = "token_ids"}, %[[POS:.*]]: tensor<?xi64> {attn.step_input = "positions"}, %[[SEL:.*]]: tensor<?xi64> {attn.step_input = "logit_tokens"})
// CHECK-SAME: -> (tensor<?x64xf32> {onnx.name = "logits"}) attributes {attn.page_size = 16 : i64}
// CHECK-NOT: attn.positions
// CHECK: %[[H:.*]] = attn.embedding %{{.*}}, %[[TOK]] : (tensor<64x32xf32>, tensor<?xi64>) -> tensor<?x32xf32>
// CHECK-NOT: attn.positions
// CHECK: %[[N:.*]] = attn.rms_norm %[[H]], %{{.*}} : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
// CHECK: %[[Q:.*]] = attn.linear %[[N]], %{{.*}} : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
// CHECK: %[[K:.*]] = attn.linear %[[N]], %{{.*}} : (tensor<?x32xf32>, tensor<32x16xf32>) -> tensor<?x16xf32>
// CHECK: %[[V:.*]] = attn.linear %[[N]], %{{.*}} : (tensor<?x32xf32>, tensor<32x16xf32>) -> tensor<?x16xf32>
// CHECK: %[[QS:.*]] = onnx.Constant() {value = dense<[0, -1, 16]> : tensor<3xi64>}
// CHECK: %[[QH:.*]] = onnx.Reshape(%[[Q]], %[[QS]]) : (tensor<?x32xf32>, tensor<3xi64>) -> tensor<?x2x16xf32>
// CHECK: %[[KH:.*]] = onnx.Reshape(%[[K]], %{{.*}}) : (tensor<?x16xf32>, tensor<3xi64>) -> tensor<?x1x16xf32>
// CHECK: %[[VH:.*]] = onnx.Reshape(%[[V]], %{{.*}}) : (tensor<?x16xf32>, tensor<3xi64>) -> tensor<?x1x16xf32>
// CHECK: %[[QR:.*]] = attn.rope %[[QH]], %[[POS]] {{.*}} : (tensor<?x2x16xf32>, tensor<?xi64>) -> tensor<?x2x16xf32>
// CHECK: %[[KR:.*]] = attn.rope %[[KH]], %[[POS]] {{.*}} : (tensor<?x1x16xf32>, tensor<?xi64>) -> tensor<?x1x16xf32>
// CHECK-NOT: onnx.Cast
// CHECK: %[[A:.*]] = attn.paged_attention %[[QR]], %[[KR]], %[[VH]] {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32} : (tensor<?x2x16xf32>, tensor<?x1x16xf32>, tensor<?x1x16xf32>) -> tensor<?x2x16xf32>
// CHECK: %[[MS:.*]] = onnx.Constant() {value = dense<[0, -1]> : tensor<2xi64>}
// CHECK: %[[M:.*]] = onnx.Reshape(%[[A]], %[[MS]]) : (tensor<?x2x16xf32>, tensor<2xi64>) -> tensor<?x32xf32>
// CHECK: %[[O:.*]] = attn.linear %[[M]], %{{.*}} : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
// CHECK: %[[R:.*]] = attn.residual_add %[[H]], %[[O]] : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
// CHECK: %[[ROWS:.*]] = attn.select_tokens %[[R]], %[[SEL]] : (tensor<?x32xf32>, tensor<?xi64>) -> tensor<?x32xf32>
// CHECK: %[[FN:.*]] = attn.rms_norm %[[ROWS]], %{{.*}} : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
// CHECK: %[[LOGITS:.*]] = attn.linear %[[FN]], %{{.*}} {weight_layout = #attn<weight_layout out_in>} : (tensor<?x32xf32>, tensor<64x32xf32>) -> tensor<?x64xf32>
// CHECK-NOT: attn.attention
// CHECK: return %[[LOGITS]] : tensor<?x64xf32>
// PAGE32-LABEL: func.func @llama_one_layer
// PAGE32-SAME: attributes {attn.page_size = 32 : i64}
func.func @llama_one_layer(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "input_ids"}, %mask: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "attention_mask"}) -> (tensor<?x?x64xf32> {onnx.name = "logits"}) {
  %emb = onnx.Constant() {value = dense<0.5> : tensor<64x32xf32>} : () -> tensor<64x32xf32>
  %ln = onnx.Constant() {value = dense<1.0> : tensor<32xf32>} : () -> tensor<32xf32>
  %wq = onnx.Constant() {value = dense<0.25> : tensor<32x32xf32>} : () -> tensor<32x32xf32>
  %wk = onnx.Constant() {value = dense<0.125> : tensor<32x16xf32>} : () -> tensor<32x16xf32>
  %wv = onnx.Constant() {value = dense<0.0625> : tensor<32x16xf32>} : () -> tensor<32x16xf32>
  %wo = onnx.Constant() {value = dense<0.5> : tensor<32x32xf32>} : () -> tensor<32x32xf32>
  %heads = onnx.Constant() {value = dense<[0, 0, -1, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %merge = onnx.Constant() {value = dense<[0, 0, -1]> : tensor<3xi64>} : () -> tensor<3xi64>
  %h = attn.embedding %emb, %ids : (tensor<64x32xf32>, tensor<?x?xi64>) -> tensor<?x?x32xf32>
  %pos = attn.positions %ids : (tensor<?x?xi64>) -> tensor<1x?xi64>
  %n = attn.rms_norm %h, %ln {epsilon = 1.0e-6 : f32} : (tensor<?x?x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %q = attn.linear %n, %wq {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
  %k = attn.linear %n, %wk {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x32xf32>, tensor<32x16xf32>) -> tensor<?x?x16xf32>
  %v = attn.linear %n, %wv {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x32xf32>, tensor<32x16xf32>) -> tensor<?x?x16xf32>
  %qh = onnx.Reshape(%q, %heads) : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x2x16xf32>
  %kh = onnx.Reshape(%k, %heads) : (tensor<?x?x16xf32>, tensor<4xi64>) -> tensor<?x?x1x16xf32>
  %vh = onnx.Reshape(%v, %heads) : (tensor<?x?x16xf32>, tensor<4xi64>) -> tensor<?x?x1x16xf32>
  %qr = attn.rope %qh, %pos {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x?x2x16xf32>, tensor<1x?xi64>) -> tensor<?x?x2x16xf32>
  %kr = attn.rope %kh, %pos {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x?x1x16xf32>, tensor<1x?xi64>) -> tensor<?x?x1x16xf32>
  %pad = onnx.Cast(%mask) {to = 9 : i64} : (tensor<?x?xi64>) -> tensor<?x?xi1>
  %a = attn.attention %qr, %kr, %vh padding(%pad) {head_dim = 16 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32} : (tensor<?x?x2x16xf32>, tensor<?x?x1x16xf32>, tensor<?x?x1x16xf32>, tensor<?x?xi1>) -> tensor<?x?x2x16xf32>
  %am = onnx.Reshape(%a, %merge) : (tensor<?x?x2x16xf32>, tensor<3xi64>) -> tensor<?x?x32xf32>
  %o = attn.linear %am, %wo {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
  %r = attn.residual_add %h, %o : (tensor<?x?x32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %fn = attn.rms_norm %r, %ln {epsilon = 1.0e-6 : f32} : (tensor<?x?x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %logits = attn.linear %fn, %emb {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x32xf32>, tensor<64x32xf32>) -> tensor<?x?x64xf32>
  return %logits : tensor<?x?x64xf32>
}

// -----

// Gemma-2 style: a windowed first layer, a full layer, and another layer with
// the first one's window. Layers are numbered in program order; each distinct
// window gets one cache group, full attention first (group 0), and the two
// window-4 layers share group 1. Window and softcaps carry over; the rows are
// selected before the final norm, lm_head and logit softcap.
// CHECK-LABEL: func.func @windows
// CHECK: attn.paged_attention {{.*}} {cache_group = 1 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32, softcap = 5.000000e+01 : f32, window = 4 : i64}
// CHECK: attn.paged_attention {{.*}} {cache_group = 0 : i64, head_dim = 16 : i64, layer = 1 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32, softcap = 5.000000e+01 : f32} :
// CHECK: attn.paged_attention {{.*}} {cache_group = 1 : i64, head_dim = 16 : i64, layer = 2 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32, softcap = 5.000000e+01 : f32, window = 4 : i64}
// CHECK: %[[R:.*]] = attn.residual_add
// CHECK: %[[ROWS:.*]] = attn.select_tokens %[[R]], %arg2
// CHECK: %[[FN:.*]] = attn.rms_norm %[[ROWS]]
// CHECK: %[[L:.*]] = attn.linear %[[FN]]
// CHECK: %[[C:.*]] = attn.logit_softcap %[[L]] {cap = 3.000000e+01 : f32} : (tensor<?x64xf32>) -> tensor<?x64xf32>
// CHECK: return %[[C]]
func.func @windows(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "input_ids"}) -> (tensor<?x?x64xf32> {onnx.name = "logits"}) {
  %emb = onnx.Constant() {value = dense<0.5> : tensor<64x32xf32>} : () -> tensor<64x32xf32>
  %ln = onnx.Constant() {value = dense<1.0> : tensor<32xf32>} : () -> tensor<32xf32>
  %wkv = onnx.Constant() {value = dense<0.125> : tensor<32x16xf32>} : () -> tensor<32x16xf32>
  %qs = onnx.Constant() {value = dense<[0, 0, 2, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %kvs = onnx.Constant() {value = dense<[0, 0, 1, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %merge = onnx.Constant() {value = dense<[0, 0, 32]> : tensor<3xi64>} : () -> tensor<3xi64>
  %h0 = attn.embedding %emb, %ids {scale = 5.65685415 : f32} : (tensor<64x32xf32>, tensor<?x?xi64>) -> tensor<?x?x32xf32>
  %q0 = onnx.Reshape(%h0, %qs) : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x2x16xf32>
  %kv0 = attn.linear %h0, %wkv {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x32xf32>, tensor<32x16xf32>) -> tensor<?x?x16xf32>
  %k0 = onnx.Reshape(%kv0, %kvs) : (tensor<?x?x16xf32>, tensor<4xi64>) -> tensor<?x?x1x16xf32>
  %a0 = attn.attention %q0, %k0, %k0 {head_dim = 16 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32, window = 4 : i64, softcap = 50.0 : f32} : (tensor<?x?x2x16xf32>, tensor<?x?x1x16xf32>, tensor<?x?x1x16xf32>) -> tensor<?x?x2x16xf32>
  %m0 = onnx.Reshape(%a0, %merge) : (tensor<?x?x2x16xf32>, tensor<3xi64>) -> tensor<?x?x32xf32>
  %h1 = attn.residual_add %h0, %m0 : (tensor<?x?x32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %q1 = onnx.Reshape(%h1, %qs) : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x2x16xf32>
  %kv1 = attn.linear %h1, %wkv {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x32xf32>, tensor<32x16xf32>) -> tensor<?x?x16xf32>
  %k1 = onnx.Reshape(%kv1, %kvs) : (tensor<?x?x16xf32>, tensor<4xi64>) -> tensor<?x?x1x16xf32>
  %a1 = attn.attention %q1, %k1, %k1 {head_dim = 16 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32, softcap = 50.0 : f32} : (tensor<?x?x2x16xf32>, tensor<?x?x1x16xf32>, tensor<?x?x1x16xf32>) -> tensor<?x?x2x16xf32>
  %m1 = onnx.Reshape(%a1, %merge) : (tensor<?x?x2x16xf32>, tensor<3xi64>) -> tensor<?x?x32xf32>
  %h2 = attn.residual_add %h1, %m1 : (tensor<?x?x32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %q2 = onnx.Reshape(%h2, %qs) : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x2x16xf32>
  %kv2 = attn.linear %h2, %wkv {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x32xf32>, tensor<32x16xf32>) -> tensor<?x?x16xf32>
  %k2 = onnx.Reshape(%kv2, %kvs) : (tensor<?x?x16xf32>, tensor<4xi64>) -> tensor<?x?x1x16xf32>
  %a2 = attn.attention %q2, %k2, %k2 {head_dim = 16 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32, window = 4 : i64, softcap = 50.0 : f32} : (tensor<?x?x2x16xf32>, tensor<?x?x1x16xf32>, tensor<?x?x1x16xf32>) -> tensor<?x?x2x16xf32>
  %m2 = onnx.Reshape(%a2, %merge) : (tensor<?x?x2x16xf32>, tensor<3xi64>) -> tensor<?x?x32xf32>
  %h3 = attn.residual_add %h2, %m2 : (tensor<?x?x32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %fn = attn.rms_norm %h3, %ln {epsilon = 1.0e-6 : f32} : (tensor<?x?x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %logits = attn.linear %fn, %emb {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x32xf32>, tensor<64x32xf32>) -> tensor<?x?x64xf32>
  %capped = attn.logit_softcap %logits {cap = 30.0 : f32} : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %capped : tensor<?x?x64xf32>
}

// -----

// Granite style: the scaled residual add keeps its scale on the token step,
// and the rows are selected before the final norm, lm_head and logit scale.
// CHECK-LABEL: func.func @granite_scales
// CHECK: attn.paged_attention {{.*}} scale = 1.250000e-01 : f32
// CHECK: %[[R:.*]] = attn.residual_add %{{.*}}, %{{.*}} {scale = 2.200000e-01 : f32} : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
// CHECK: %[[ROWS:.*]] = attn.select_tokens %[[R]], %arg2
// CHECK: %[[FN:.*]] = attn.rms_norm %[[ROWS]]
// CHECK: %[[L:.*]] = attn.linear %[[FN]]
// CHECK: %[[S:.*]] = attn.logit_scale %[[L]] {scale = 1.250000e-01 : f32} : (tensor<?x64xf32>) -> tensor<?x64xf32>
// CHECK: return %[[S]]
func.func @granite_scales(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "input_ids"}) -> (tensor<?x?x64xf32> {onnx.name = "logits"}) {
  %emb = onnx.Constant() {value = dense<0.5> : tensor<64x32xf32>} : () -> tensor<64x32xf32>
  %ln = onnx.Constant() {value = dense<1.0> : tensor<32xf32>} : () -> tensor<32xf32>
  %wkv = onnx.Constant() {value = dense<0.125> : tensor<32x16xf32>} : () -> tensor<32x16xf32>
  %qs = onnx.Constant() {value = dense<[0, 0, 2, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %kvs = onnx.Constant() {value = dense<[0, 0, 1, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %merge = onnx.Constant() {value = dense<[0, 0, 32]> : tensor<3xi64>} : () -> tensor<3xi64>
  %h0 = attn.embedding %emb, %ids {scale = 12.0 : f32} : (tensor<64x32xf32>, tensor<?x?xi64>) -> tensor<?x?x32xf32>
  %q0 = onnx.Reshape(%h0, %qs) : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x2x16xf32>
  %kv0 = attn.linear %h0, %wkv {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x32xf32>, tensor<32x16xf32>) -> tensor<?x?x16xf32>
  %k0 = onnx.Reshape(%kv0, %kvs) : (tensor<?x?x16xf32>, tensor<4xi64>) -> tensor<?x?x1x16xf32>
  %a0 = attn.attention %q0, %k0, %k0 {head_dim = 16 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 1.250000e-01 : f32} : (tensor<?x?x2x16xf32>, tensor<?x?x1x16xf32>, tensor<?x?x1x16xf32>) -> tensor<?x?x2x16xf32>
  %m0 = onnx.Reshape(%a0, %merge) : (tensor<?x?x2x16xf32>, tensor<3xi64>) -> tensor<?x?x32xf32>
  %h1 = attn.residual_add %h0, %m0 {scale = 0.22 : f32} : (tensor<?x?x32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %fn = attn.rms_norm %h1, %ln {epsilon = 1.0e-6 : f32} : (tensor<?x?x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %logits = attn.linear %fn, %emb {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x32xf32>, tensor<64x32xf32>) -> tensor<?x?x64xf32>
  %scaled = attn.logit_scale %logits {scale = 0.125 : f32} : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %scaled : tensor<?x?x64xf32>
}

// -----

// GPT-2 style learned positions: the position embedding looks up the step's
// positions, and the Add of token and position embeddings (a [1, seq] operand
// before) is per-token. No attention_mask input is fine.
// CHECK-LABEL: func.func @learned_positions
// CHECK-SAME: (%[[TOK:.*]]: tensor<?xi64> {attn.step_input = "token_ids"}, %[[POS:.*]]: tensor<?xi64> {attn.step_input = "positions"}, %[[SEL:.*]]: tensor<?xi64> {attn.step_input = "logit_tokens"})
// CHECK-NOT: attn.positions
// CHECK: %[[TE:.*]] = attn.embedding %{{.*}}, %[[TOK]] : (tensor<64x32xf32>, tensor<?xi64>) -> tensor<?x32xf32>
// CHECK: %[[PE:.*]] = attn.embedding %{{.*}}, %[[POS]] : (tensor<16x32xf32>, tensor<?xi64>) -> tensor<?x32xf32>
// CHECK: %[[H:.*]] = onnx.Add(%[[TE]], %[[PE]]) : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
// CHECK: %[[ROWS:.*]] = attn.select_tokens %[[H]], %[[SEL]]
// CHECK: attn.layer_norm %[[ROWS]]
func.func @learned_positions(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "input_ids"}) -> (tensor<?x?x64xf32> {onnx.name = "logits"}) {
  %wte = onnx.Constant() {value = dense<0.5> : tensor<64x32xf32>} : () -> tensor<64x32xf32>
  %wpe = onnx.Constant() {value = dense<0.25> : tensor<16x32xf32>} : () -> tensor<16x32xf32>
  %g = onnx.Constant() {value = dense<1.0> : tensor<32xf32>} : () -> tensor<32xf32>
  %b = onnx.Constant() {value = dense<0.0> : tensor<32xf32>} : () -> tensor<32xf32>
  %pos = attn.positions %ids : (tensor<?x?xi64>) -> tensor<1x?xi64>
  %te = attn.embedding %wte, %ids : (tensor<64x32xf32>, tensor<?x?xi64>) -> tensor<?x?x32xf32>
  %pe = attn.embedding %wpe, %pos : (tensor<16x32xf32>, tensor<1x?xi64>) -> tensor<1x?x32xf32>
  %h = onnx.Add(%te, %pe) : (tensor<?x?x32xf32>, tensor<1x?x32xf32>) -> tensor<?x?x32xf32>
  %n = attn.layer_norm %h, %g bias(%b) {epsilon = 1.0e-5 : f32} : (tensor<?x?x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %logits = attn.linear %n, %wte {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x32xf32>, tensor<64x32xf32>) -> tensor<?x?x64xf32>
  return %logits : tensor<?x?x64xf32>
}

// -----

// A fused QKV projection split on the feature axis: Split axis 2 of
// [b, s, 64] is axis 1 of [t, 64]; the gate/up Split with axis -1 is
// normalised first, then shifted (also 1). Without a final norm the rows are
// selected before the lm_head.
// CHECK-LABEL: func.func @fused_qkv_split
// CHECK: %[[QKV:.*]] = attn.linear %{{.*}} : (tensor<?x32xf32>, tensor<32x64xf32>) -> tensor<?x64xf32>
// CHECK: %[[P:.*]]:3 = onnx.Split(%[[QKV]], %{{.*}}) {axis = 1 : i64} : (tensor<?x64xf32>, tensor<3xi64>) -> (tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x16xf32>)
// CHECK: onnx.Constant() {value = dense<[0, 2, 16]> : tensor<3xi64>}
// CHECK: onnx.Reshape(%[[P]]#0, %{{.*}}) : (tensor<?x32xf32>, tensor<3xi64>) -> tensor<?x2x16xf32>
// CHECK: onnx.Constant() {value = dense<[0, 1, 16]> : tensor<3xi64>}
// CHECK: onnx.Reshape(%[[P]]#1, %{{.*}}) : (tensor<?x16xf32>, tensor<3xi64>) -> tensor<?x1x16xf32>
// CHECK: attn.paged_attention
// CHECK: %[[GU:.*]] = attn.linear %{{.*}} : (tensor<?x32xf32>, tensor<32x128xf32>) -> tensor<?x128xf32>
// CHECK: %[[S:.*]]:2 = onnx.Split(%[[GU]], %{{.*}}) {axis = 1 : i64} : (tensor<?x128xf32>, tensor<2xi64>) -> (tensor<?x64xf32>, tensor<?x64xf32>)
// CHECK: attn.gated_activation silu %[[S]]#0, %[[S]]#1 : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
// CHECK: %[[R:.*]] = attn.residual_add
// CHECK: %[[ROWS:.*]] = attn.select_tokens %[[R]], %arg2
// CHECK: attn.linear %[[ROWS]], %{{.*}} {weight_layout = #attn<weight_layout out_in>} : (tensor<?x32xf32>, tensor<64x32xf32>) -> tensor<?x64xf32>
func.func @fused_qkv_split(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "input_ids"}) -> (tensor<?x?x64xf32> {onnx.name = "logits"}) {
  %emb = onnx.Constant() {value = dense<0.5> : tensor<64x32xf32>} : () -> tensor<64x32xf32>
  %wqkv = onnx.Constant() {value = dense<0.25> : tensor<32x64xf32>} : () -> tensor<32x64xf32>
  %wgu = onnx.Constant() {value = dense<0.125> : tensor<32x128xf32>} : () -> tensor<32x128xf32>
  %wd = onnx.Constant() {value = dense<0.0625> : tensor<64x32xf32>} : () -> tensor<64x32xf32>
  %sizes = onnx.Constant() {value = dense<[32, 16, 16]> : tensor<3xi64>} : () -> tensor<3xi64>
  %halves = onnx.Constant() {value = dense<64> : tensor<2xi64>} : () -> tensor<2xi64>
  %qs = onnx.Constant() {value = dense<[0, 0, 2, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %kvs = onnx.Constant() {value = dense<[0, 0, 1, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %merge = onnx.Constant() {value = dense<[0, 0, 32]> : tensor<3xi64>} : () -> tensor<3xi64>
  %h = attn.embedding %emb, %ids : (tensor<64x32xf32>, tensor<?x?xi64>) -> tensor<?x?x32xf32>
  %qkv = attn.linear %h, %wqkv {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x32xf32>, tensor<32x64xf32>) -> tensor<?x?x64xf32>
  %parts:3 = onnx.Split(%qkv, %sizes) {axis = 2 : i64} : (tensor<?x?x64xf32>, tensor<3xi64>) -> (tensor<?x?x32xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>)
  %q = onnx.Reshape(%parts#0, %qs) : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x2x16xf32>
  %k = onnx.Reshape(%parts#1, %kvs) : (tensor<?x?x16xf32>, tensor<4xi64>) -> tensor<?x?x1x16xf32>
  %v = onnx.Reshape(%parts#2, %kvs) : (tensor<?x?x16xf32>, tensor<4xi64>) -> tensor<?x?x1x16xf32>
  %a = attn.attention %q, %k, %v {head_dim = 16 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32} : (tensor<?x?x2x16xf32>, tensor<?x?x1x16xf32>, tensor<?x?x1x16xf32>) -> tensor<?x?x2x16xf32>
  %m = onnx.Reshape(%a, %merge) : (tensor<?x?x2x16xf32>, tensor<3xi64>) -> tensor<?x?x32xf32>
  %h1 = attn.residual_add %h, %m : (tensor<?x?x32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %gu = attn.linear %h1, %wgu {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x32xf32>, tensor<32x128xf32>) -> tensor<?x?x128xf32>
  %gate_up:2 = onnx.Split(%gu, %halves) {axis = -1 : i64} : (tensor<?x?x128xf32>, tensor<2xi64>) -> (tensor<?x?x64xf32>, tensor<?x?x64xf32>)
  %act = attn.gated_activation silu %gate_up#0, %gate_up#1 : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %d = attn.linear %act, %wd {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x64xf32>, tensor<64x32xf32>) -> tensor<?x?x32xf32>
  %h2 = attn.residual_add %h1, %d : (tensor<?x?x32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %logits = attn.linear %h2, %emb {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x32xf32>, tensor<64x32xf32>) -> tensor<?x?x64xf32>
  return %logits : tensor<?x?x64xf32>
}

// -----

// Falcon-style per-head slices of a fused QKV: Slice axes shift by one
// (2 -> 1; -2 of rank 4 -> 2 -> 1), and so does a feature Slice on a hidden
// state (-1 of rank 3 -> 2 -> 1); starts, ends and steps are untouched.
// CHECK-LABEL: func.func @slice_axes
// CHECK-DAG: %[[C0:.*]] = onnx.Constant() {value = dense<0> : tensor<1xi64>}
// CHECK-DAG: %[[C2:.*]] = onnx.Constant() {value = dense<2> : tensor<1xi64>}
// CHECK-DAG: %[[C32:.*]] = onnx.Constant() {value = dense<32> : tensor<1xi64>}
// CHECK: %[[QKV:.*]] = attn.linear
// CHECK: %[[HD:.*]] = onnx.Reshape(%[[QKV]], %{{.*}}) : (tensor<?x64xf32>, tensor<3xi64>) -> tensor<?x4x16xf32>
// CHECK: %[[AX:.*]] = onnx.Constant() {value = dense<1> : tensor<1xi64>}
// CHECK: %[[Q:.*]] = onnx.Slice(%[[HD]], %[[C0]], %[[C2]], %[[AX]], %{{.*}}) : (tensor<?x4x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x2x16xf32>
// CHECK: %[[AXK:.*]] = onnx.Constant() {value = dense<1> : tensor<1xi64>}
// CHECK: %[[K:.*]] = onnx.Slice(%[[HD]], %[[C2]], %{{.*}}, %[[AXK]], %{{.*}}) : {{.*}} -> tensor<?x1x16xf32>
// CHECK: %[[AXV:.*]] = onnx.Constant() {value = dense<1> : tensor<1xi64>}
// CHECK: %[[V:.*]] = onnx.Slice(%[[HD]], %{{.*}}, %{{.*}}, %[[AXV]], %{{.*}}) : {{.*}} -> tensor<?x1x16xf32>
// CHECK: attn.paged_attention %[[Q]], %[[K]], %[[V]]
// CHECK: %[[AXF:.*]] = onnx.Constant() {value = dense<1> : tensor<1xi64>}
// CHECK: onnx.Slice(%[[QKV]], %[[C0]], %[[C32]], %[[AXF]], %{{.*}}) : (tensor<?x64xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x32xf32>
func.func @slice_axes(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "input_ids"}) -> (tensor<?x?x64xf32> {onnx.name = "logits"}) {
  %emb = onnx.Constant() {value = dense<0.5> : tensor<64x32xf32>} : () -> tensor<64x32xf32>
  %wqkv = onnx.Constant() {value = dense<0.25> : tensor<32x64xf32>} : () -> tensor<32x64xf32>
  %heads = onnx.Constant() {value = dense<[0, 0, 4, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %merge = onnx.Constant() {value = dense<[0, 0, 32]> : tensor<3xi64>} : () -> tensor<3xi64>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %c2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %c3 = onnx.Constant() {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %c4 = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %c32 = onnx.Constant() {value = dense<32> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %axm2 = onnx.Constant() {value = dense<-2> : tensor<1xi64>} : () -> tensor<1xi64>
  %axm1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %h = attn.embedding %emb, %ids : (tensor<64x32xf32>, tensor<?x?xi64>) -> tensor<?x?x32xf32>
  %qkv = attn.linear %h, %wqkv {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x32xf32>, tensor<32x64xf32>) -> tensor<?x?x64xf32>
  %hd = onnx.Reshape(%qkv, %heads) : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
  %q = onnx.Slice(%hd, %c0, %c2, %ax2, %one) : (tensor<?x?x4x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x2x16xf32>
  %k = onnx.Slice(%hd, %c2, %c3, %axm2, %one) : (tensor<?x?x4x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x1x16xf32>
  %v = onnx.Slice(%hd, %c3, %c4, %ax2, %one) : (tensor<?x?x4x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x1x16xf32>
  %a = attn.attention %q, %k, %v {head_dim = 16 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32} : (tensor<?x?x2x16xf32>, tensor<?x?x1x16xf32>, tensor<?x?x1x16xf32>) -> tensor<?x?x2x16xf32>
  %m = onnx.Reshape(%a, %merge) : (tensor<?x?x2x16xf32>, tensor<3xi64>) -> tensor<?x?x32xf32>
  %h1 = attn.residual_add %h, %m : (tensor<?x?x32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %first = onnx.Slice(%qkv, %c0, %c32, %axm1, %one) : (tensor<?x?x64xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x32xf32>
  %h2 = attn.residual_add %h1, %first : (tensor<?x?x32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %logits = attn.linear %h2, %emb {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x32xf32>, tensor<64x32xf32>) -> tensor<?x?x64xf32>
  return %logits : tensor<?x?x64xf32>
}

// -----

// A position_ids input (optimum exports) is the step's positions as well, and
// a model may feed it to RoPE directly; it is dropped from the signature with
// the other (batch, seq) inputs.
// CHECK-LABEL: func.func @position_ids_input
// CHECK-SAME: (%[[TOK:.*]]: tensor<?xi64> {attn.step_input = "token_ids"}, %[[POS:.*]]: tensor<?xi64> {attn.step_input = "positions"}, %[[SEL:.*]]: tensor<?xi64> {attn.step_input = "logit_tokens"}) ->
// CHECK-NOT: onnx.Cast
// CHECK: attn.rope %{{.*}}, %[[POS]] {{.*}} : (tensor<?x2x16xf32>, tensor<?xi64>) -> tensor<?x2x16xf32>
// CHECK: attn.paged_attention {{.*}} {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32} :
// CHECK: attn.select_tokens %{{.*}}, %[[SEL]]
func.func @position_ids_input(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "input_ids"}, %mask: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "attention_mask"}, %pids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "position_ids"}) -> (tensor<?x?x64xf32> {onnx.name = "logits"}) {
  %emb = onnx.Constant() {value = dense<0.5> : tensor<64x32xf32>} : () -> tensor<64x32xf32>
  %qs = onnx.Constant() {value = dense<[0, 0, 2, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %merge = onnx.Constant() {value = dense<[0, 0, 32]> : tensor<3xi64>} : () -> tensor<3xi64>
  %h = attn.embedding %emb, %ids : (tensor<64x32xf32>, tensor<?x?xi64>) -> tensor<?x?x32xf32>
  %q = onnx.Reshape(%h, %qs) : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x2x16xf32>
  %qr = attn.rope %q, %pids {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x?x2x16xf32>, tensor<?x?xi64>) -> tensor<?x?x2x16xf32>
  %pad = onnx.Cast(%mask) {to = 9 : i64} : (tensor<?x?xi64>) -> tensor<?x?xi1>
  %a = attn.attention %qr, %qr, %q padding(%pad) {head_dim = 16 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32} : (tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?xi1>) -> tensor<?x?x2x16xf32>
  %m = onnx.Reshape(%a, %merge) : (tensor<?x?x2x16xf32>, tensor<3xi64>) -> tensor<?x?x32xf32>
  %logits = attn.linear %m, %emb {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x32xf32>, tensor<64x32xf32>) -> tensor<?x?x64xf32>
  return %logits : tensor<?x?x64xf32>
}
// -----

// A graph exported with past_key_values inputs (optimum naming) maps onto the
// same paged cache: attention reads Transpose(Concat(past, Transpose(new K/V))),
// so paged_attention gets the new K/V; the present outputs (exactly those
// concats) leave the results, the past inputs and the past-length
// computation (Shape/Squeeze) go, and the positions offset by the past length
// are the step's positions.
// CHECK-LABEL: func.func @past_key_values
// CHECK-SAME: (%[[TOK:.*]]: tensor<?xi64> {attn.step_input = "token_ids"}, %[[POS:.*]]: tensor<?xi64> {attn.step_input = "positions"}, %[[SEL:.*]]: tensor<?xi64> {attn.step_input = "logit_tokens"})
// CHECK-SAME: -> (tensor<?x64xf32> {onnx.name = "logits"})
// CHECK-NOT: onnx.Shape
// CHECK-NOT: onnx.Concat
// CHECK: %[[QR:.*]] = attn.rope %{{.*}}, %[[POS]] {{.*}} : (tensor<?x2x16xf32>, tensor<?xi64>) -> tensor<?x2x16xf32>
// CHECK: %[[K:.*]] = attn.linear
// CHECK: %[[KH:.*]] = onnx.Reshape(%[[K]], %{{.*}}) : (tensor<?x16xf32>, tensor<3xi64>) -> tensor<?x1x16xf32>
// CHECK: %[[KR:.*]] = attn.rope %[[KH]], %[[POS]]
// CHECK-NOT: onnx.Transpose
// CHECK-NOT: onnx.Concat
// CHECK: attn.paged_attention %[[QR]], %[[KR]], %[[KH]] {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32} : (tensor<?x2x16xf32>, tensor<?x1x16xf32>, tensor<?x1x16xf32>) -> tensor<?x2x16xf32>
// CHECK: %[[L:.*]] = attn.linear
// CHECK: return %[[L]] : tensor<?x64xf32>
func.func @past_key_values(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "input_ids"}, %mask: tensor<?x?xi64> {onnx.dim_params = ["batch", "past_seq"], onnx.name = "attention_mask"}, %pk: tensor<?x1x?x16xf32> {onnx.dim_params = ["batch", "", "past", ""], onnx.name = "past_key_values.0.key"}, %pv: tensor<?x1x?x16xf32> {onnx.dim_params = ["batch", "", "past", ""], onnx.name = "past_key_values.0.value"}) -> (tensor<?x?x64xf32> {onnx.name = "logits"}, tensor<?x1x?x16xf32> {onnx.name = "present.0.key"}, tensor<?x1x?x16xf32> {onnx.name = "present.0.value"}) {
  %emb = onnx.Constant() {value = dense<0.5> : tensor<64x32xf32>} : () -> tensor<64x32xf32>
  %wk = onnx.Constant() {value = dense<0.125> : tensor<32x16xf32>} : () -> tensor<32x16xf32>
  %qs = onnx.Constant() {value = dense<[0, 0, 2, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %kvs = onnx.Constant() {value = dense<[0, 0, 1, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %merge = onnx.Constant() {value = dense<[0, 0, 32]> : tensor<3xi64>} : () -> tensor<3xi64>
  %three = onnx.Constant() {value = dense<3> : tensor<i64>} : () -> tensor<i64>
  %none = onnx.NoValue() : () -> none
  %shape = onnx.Shape(%pk) {end = 3 : i64, start = 2 : i64} : (tensor<?x1x?x16xf32>) -> tensor<1xi64>
  %past = onnx.Squeeze(%shape, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %h = attn.embedding %emb, %ids : (tensor<64x32xf32>, tensor<?x?xi64>) -> tensor<?x?x32xf32>
  %pos = attn.positions %ids offset(%past) : (tensor<?x?xi64>, tensor<i64>) -> tensor<1x?xi64>
  %q = onnx.Reshape(%h, %qs) : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x2x16xf32>
  %qr = attn.rope %q, %pos {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x?x2x16xf32>, tensor<1x?xi64>) -> tensor<?x?x2x16xf32>
  %k = attn.linear %h, %wk {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x32xf32>, tensor<32x16xf32>) -> tensor<?x?x16xf32>
  %kh = onnx.Reshape(%k, %kvs) : (tensor<?x?x16xf32>, tensor<4xi64>) -> tensor<?x?x1x16xf32>
  %kr = attn.rope %kh, %pos {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x?x1x16xf32>, tensor<1x?xi64>) -> tensor<?x?x1x16xf32>
  %kt = onnx.Transpose(%kr) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x1x16xf32>) -> tensor<?x1x?x16xf32>
  %vt = onnx.Transpose(%kh) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x1x16xf32>) -> tensor<?x1x?x16xf32>
  %kc = onnx.Concat(%pk, %kt) {axis = -2 : i64} : (tensor<?x1x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x1x?x16xf32>
  %vc = onnx.Concat(%pv, %vt) {axis = -2 : i64} : (tensor<?x1x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x1x?x16xf32>
  %kread = onnx.Transpose(%kc) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x1x?x16xf32>) -> tensor<?x?x1x16xf32>
  %vread = onnx.Transpose(%vc) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x1x?x16xf32>) -> tensor<?x?x1x16xf32>
  %pad = onnx.Cast(%mask) {to = 9 : i64} : (tensor<?x?xi64>) -> tensor<?x?xi1>
  %a = attn.attention %qr, %kread, %vread padding(%pad) {head_dim = 16 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32} : (tensor<?x?x2x16xf32>, tensor<?x?x1x16xf32>, tensor<?x?x1x16xf32>, tensor<?x?xi1>) -> tensor<?x?x2x16xf32>
  %m = onnx.Reshape(%a, %merge) : (tensor<?x?x2x16xf32>, tensor<3xi64>) -> tensor<?x?x32xf32>
  %logits = attn.linear %m, %emb {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x32xf32>, tensor<64x32xf32>) -> tensor<?x?x64xf32>
  return %logits, %kc, %vc : tensor<?x?x64xf32>, tensor<?x1x?x16xf32>, tensor<?x1x?x16xf32>
}
