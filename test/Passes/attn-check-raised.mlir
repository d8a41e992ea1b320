// RUN: attnc-opt %s -split-input-file -allow-unregistered-dialect -attn-check-raised -verify-diagnostics

// Everything the allow-list (passes/RaisedForm.h) admits: constants and
// NoValue, a head-split Reshape (target 0, 0, h, d) and the head merge back,
// Split/Slice on per-token axes (2, 3 and -1), the padding-mask Cast of an
// input feeding attention's padding operand only, and an Add of two attn
// results (token + position embeddings). No diagnostic.
func.func @raised(%ids: tensor<?x?xi64>, %mask: tensor<?x?xi64>, %table: tensor<256x64xf32>, %ptable: tensor<128x64xf32>, %wqkv: tensor<64x192xf32>, %wo: tensor<64x64xf32>) -> (tensor<?x?x64xf32>, tensor<?x?x4x8xf32>, tensor<?x?x32xf32>) {
  %heads = onnx.Constant() {value = dense<[0, 0, 4, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  %merge = onnx.Constant() {value = dense<[0, 0, 64]> : tensor<3xi64>} : () -> tensor<3xi64>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %c8 = onnx.Constant() {value = dense<8> : tensor<1xi64>} : () -> tensor<1xi64>
  %c32 = onnx.Constant() {value = dense<32> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax3 = onnx.Constant() {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %axlast = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue() : () -> none
  %tok = attn.embedding %table, %ids : (tensor<256x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  %positions = attn.positions %ids : (tensor<?x?xi64>) -> tensor<1x?xi64>
  %pos = attn.embedding %ptable, %positions : (tensor<128x64xf32>, tensor<1x?xi64>) -> tensor<1x?x64xf32>
  %h = onnx.Add(%tok, %pos) : (tensor<?x?x64xf32>, tensor<1x?x64xf32>) -> tensor<?x?x64xf32>
  %qkv = attn.linear %h, %wqkv {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x64xf32>, tensor<64x192xf32>) -> tensor<?x?x192xf32>
  %s:3 = onnx.Split(%qkv, %none) {axis = 2 : i64, num_outputs = 3 : i64} : (tensor<?x?x192xf32>, none) -> (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>)
  %q = onnx.Reshape(%s#0, %heads) : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
  %k = onnx.Reshape(%s#1, %heads) : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
  %v = onnx.Reshape(%s#2, %heads) : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
  %padding = onnx.Cast(%mask) {to = 9 : i64} : (tensor<?x?xi64>) -> tensor<?x?xi1>
  %a = attn.attention %q, %k, %v padding(%padding) {num_heads = 4, num_kv_heads = 4, head_dim = 16, scale = 0.25 : f32} : (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?xi1>) -> tensor<?x?x4x16xf32>
  %am = onnx.Reshape(%a, %merge) : (tensor<?x?x4x16xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  %o = attn.linear %am, %wo {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
  %r = attn.residual_add %h, %o : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %rot = onnx.Slice(%a, %c0, %c8, %ax3, %none) : (tensor<?x?x4x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<?x?x4x8xf32>
  %tail = onnx.Slice(%qkv, %c0, %c32, %axlast, %none) : (tensor<?x?x192xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<?x?x32xf32>
  return %r, %rot, %tail : tensor<?x?x64xf32>, tensor<?x?x4x8xf32>, tensor<?x?x32xf32>
}

// -----

// A flatten to [b*s, k] merges the token dims.
func.func @reshape_flatten(%x: tensor<?x?x64xf32>, %w: tensor<64x64xf32>) -> tensor<?x64xf32> {
  %flat = onnx.Constant() {value = dense<[-1, 64]> : tensor<2xi64>} : () -> tensor<2xi64>
  %y = attn.linear %x, %w {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
  // expected-error @+1 {{'onnx.Reshape' remains after raising: a Reshape that does not keep the [batch, seq] dims}}
  %r = onnx.Reshape(%y, %flat) : (tensor<?x?x64xf32>, tensor<2xi64>) -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// -----

// A target [0, 1, ...] keeps the batch but not the seq dim.
func.func @reshape_target_not_zero_zero(%x: tensor<?x?x64xf32>) -> tensor<?x1x64xf32> {
  %t = onnx.Constant() {value = dense<[0, 1, 64]> : tensor<3xi64>} : () -> tensor<3xi64>
  // expected-error @+1 {{'onnx.Reshape' remains after raising: a Reshape that does not keep the [batch, seq] dims}}
  %r = onnx.Reshape(%x, %t) : (tensor<?x?x64xf32>, tensor<3xi64>) -> tensor<?x1x64xf32>
  return %r : tensor<?x1x64xf32>
}

// -----

// With allowzero = 1 the zeros of [0, 0, 4, 16] are zero-sized dims, not
// copies of batch and seq.
func.func @reshape_allowzero(%x: tensor<?x?x64xf32>) -> tensor<?x?x4x16xf32> {
  %t = onnx.Constant() {value = dense<[0, 0, 4, 16]> : tensor<4xi64>} : () -> tensor<4xi64>
  // expected-error @+1 {{'onnx.Reshape' remains after raising: a Reshape that does not keep the [batch, seq] dims}}
  %r = onnx.Reshape(%x, %t) {allowzero = 1 : i64} : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
  return %r : tensor<?x?x4x16xf32>
}

// -----

// A run-time target (Shape/Concat left over) is not provably per token.
func.func @reshape_runtime_target(%x: tensor<?x?x64xf32>, %t: tensor<4xi64>) -> tensor<?x?x4x16xf32> {
  // expected-error @+1 {{'onnx.Reshape' remains after raising: a Reshape that does not keep the [batch, seq] dims}}
  %r = onnx.Reshape(%x, %t) : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
  return %r : tensor<?x?x4x16xf32>
}

// -----

// A Split along seq (axis 1) cuts the token grid.
func.func @split_axis_one(%x: tensor<?x8x64xf32>) -> (tensor<?x4x64xf32>, tensor<?x4x64xf32>) {
  %none = onnx.NoValue() : () -> none
  // expected-error @+1 {{'onnx.Split' remains after raising: a Split across the [batch, seq] dims}}
  %s:2 = onnx.Split(%x, %none) {axis = 1 : i64, num_outputs = 2 : i64} : (tensor<?x8x64xf32>, none) -> (tensor<?x4x64xf32>, tensor<?x4x64xf32>)
  return %s#0, %s#1 : tensor<?x4x64xf32>, tensor<?x4x64xf32>
}

// -----

// A Slice along batch (axis 0) cuts the token grid.
func.func @slice_axis_zero(%x: tensor<4x?x64xf32>) -> tensor<1x?x64xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue() : () -> none
  // expected-error @+1 {{'onnx.Slice' remains after raising: a Slice across the [batch, seq] dims (or with non-constant axes)}}
  %s = onnx.Slice(%x, %c0, %c1, %c0, %none) : (tensor<4x?x64xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<1x?x64xf32>
  return %s : tensor<1x?x64xf32>
}

// -----

// Slice axes known only at run time may be batch or seq.
func.func @slice_runtime_axes(%x: tensor<?x?x64xf32>, %axes: tensor<1xi64>) -> tensor<?x?x32xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %c32 = onnx.Constant() {value = dense<32> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue() : () -> none
  // expected-error @+1 {{'onnx.Slice' remains after raising: a Slice across the [batch, seq] dims (or with non-constant axes)}}
  %s = onnx.Slice(%x, %c0, %c32, %axes, %none) : (tensor<?x?x64xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<?x?x32xf32>
  return %s : tensor<?x?x32xf32>
}

// -----

// A Slice without axes slices every dim, batch and seq included.
func.func @slice_default_axes(%x: tensor<?x?x64xf32>) -> tensor<?x?x32xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<3xi64>} : () -> tensor<3xi64>
  %ends = onnx.Constant() {value = dense<[9223372036854775807, 9223372036854775807, 32]> : tensor<3xi64>} : () -> tensor<3xi64>
  %none = onnx.NoValue() : () -> none
  // expected-error @+1 {{'onnx.Slice' remains after raising: a Slice across the [batch, seq] dims (or with non-constant axes)}}
  %s = onnx.Slice(%x, %c0, %ends, %none, %none) : (tensor<?x?x64xf32>, tensor<3xi64>, tensor<3xi64>, none, none) -> tensor<?x?x32xf32>
  return %s : tensor<?x?x32xf32>
}

// -----

// A Cast of the mask that also leaves the function is more than a padding mask.
func.func @cast_returned(%mask: tensor<?x?xi64>, %q: tensor<?x?x4x16xf32>) -> (tensor<?x?x4x16xf32>, tensor<?x?xi1>) {
  // expected-error @+1 {{'onnx.Cast' remains after raising: a Cast that is not an attention padding mask}}
  %padding = onnx.Cast(%mask) {to = 9 : i64} : (tensor<?x?xi64>) -> tensor<?x?xi1>
  %a = attn.attention %q, %q, %q padding(%padding) {num_heads = 4, num_kv_heads = 4, head_dim = 16, scale = 0.25 : f32} : (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?xi1>) -> tensor<?x?x4x16xf32>
  return %a, %padding : tensor<?x?x4x16xf32>, tensor<?x?xi1>
}

// -----

// A Cast of an activation (a dtype change inside the model) is not raised.
func.func @cast_of_activation(%x: tensor<?x?x64xf32>, %w: tensor<64x64xf32>) -> tensor<?x?x64xf16> {
  %y = attn.linear %x, %w {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
  // expected-error @+1 {{'onnx.Cast' remains after raising: a Cast that is not an attention padding mask}}
  %c = onnx.Cast(%y) {to = 10 : i64} : (tensor<?x?x64xf32>) -> tensor<?x?x64xf16>
  return %c : tensor<?x?x64xf16>
}

// -----

// An Add with an input (not an attn result) is unraised arithmetic.
func.func @add_non_attn_operand(%x: tensor<?x?x64xf32>, %w: tensor<64x64xf32>, %bias: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %y = attn.linear %x, %w {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
  // expected-error @+1 {{'onnx.Add' remains after raising: an Add of values that are not attn results}}
  %s = onnx.Add(%y, %bias) : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %s : tensor<?x?x64xf32>
}

// -----

// Every other onnx op is unraised: a Softmax left from an attention the
// raising did not recognise, each occurrence reported.
func.func @other_onnx_ops(%s: tensor<?x4x?x?xf32>, %x: tensor<?x?x64xf32>) -> (tensor<?x4x?x?xf32>, tensor<?x?x64xf32>) {
  // expected-error @+1 {{'onnx.Softmax' remains after raising: not raised to the attn dialect}}
  %p = onnx.Softmax(%s) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  // expected-error @+1 {{'onnx.Sigmoid' remains after raising: not raised to the attn dialect}}
  %g = onnx.Sigmoid(%x) : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %p, %g : tensor<?x4x?x?xf32>, tensor<?x?x64xf32>
}

// -----

// An op of no registered dialect is not raised either (and must not crash
// the check).
func.func @unregistered_op(%x: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  // expected-error @+1 {{'foo.bar' remains after raising: not raised to the attn dialect}}
  %y = "foo.bar"(%x) : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// A graph with past_key_values inputs: the KV-cache concat (Concat of a past
// input and the new keys/values made head-major, read by attention through
// Transpose(0, 2, 1, 3) and returned as present) and the past length feeding
// attn.positions' offset (Shape, Squeeze) are on the allow-list.
func.func @kv_cache_concat(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "input_ids"}, %mask: tensor<?x?xi64> {onnx.dim_params = ["batch", "past_seq"], onnx.name = "attention_mask"}, %pk: tensor<?x1x?x16xf32> {onnx.dim_params = ["batch", "", "past", ""], onnx.name = "past_key_values.0.key"}, %pv: tensor<?x1x?x16xf32> {onnx.dim_params = ["batch", "", "past", ""], onnx.name = "past_key_values.0.value"}) -> (tensor<?x?x64xf32> {onnx.name = "logits"}, tensor<?x1x?x16xf32> {onnx.name = "present.0.key"}, tensor<?x1x?x16xf32> {onnx.name = "present.0.value"}) {
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

// -----

// Must not fire: a cache concat also read by something other than attention
// (here returned token-major) is not the KV-cache concat; it and the
// Transposes around it are refused.
func.func @kv_cache_read_elsewhere(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "input_ids"}, %mask: tensor<?x?xi64> {onnx.dim_params = ["batch", "past_seq"], onnx.name = "attention_mask"}, %pk: tensor<?x1x?x16xf32> {onnx.dim_params = ["batch", "", "past", ""], onnx.name = "past_key_values.0.key"}, %pv: tensor<?x1x?x16xf32> {onnx.dim_params = ["batch", "", "past", ""], onnx.name = "past_key_values.0.value"}) -> (tensor<?x?x64xf32> {onnx.name = "logits"}, tensor<?x1x?x16xf32> {onnx.name = "present.0.key"}, tensor<?x?x1x16xf32> {onnx.name = "present.0.value"}) {
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
  // expected-error @+1 {{'onnx.Transpose' remains after raising}}
  %kt = onnx.Transpose(%kr) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x1x16xf32>) -> tensor<?x1x?x16xf32>
  %vt = onnx.Transpose(%kh) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x1x16xf32>) -> tensor<?x1x?x16xf32>
  // expected-error @+1 {{'onnx.Concat' remains after raising}}
  %kc = onnx.Concat(%pk, %kt) {axis = -2 : i64} : (tensor<?x1x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x1x?x16xf32>
  %vc = onnx.Concat(%pv, %vt) {axis = -2 : i64} : (tensor<?x1x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x1x?x16xf32>
  // expected-error @+1 {{'onnx.Transpose' remains after raising}}
  %kread = onnx.Transpose(%kc) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x1x?x16xf32>) -> tensor<?x?x1x16xf32>
  %vread = onnx.Transpose(%vc) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x1x?x16xf32>) -> tensor<?x?x1x16xf32>
  %pad = onnx.Cast(%mask) {to = 9 : i64} : (tensor<?x?xi64>) -> tensor<?x?xi1>
  %a = attn.attention %qr, %kread, %vread padding(%pad) {head_dim = 16 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32} : (tensor<?x?x2x16xf32>, tensor<?x?x1x16xf32>, tensor<?x?x1x16xf32>, tensor<?x?xi1>) -> tensor<?x?x2x16xf32>
  %m = onnx.Reshape(%a, %merge) : (tensor<?x?x2x16xf32>, tensor<3xi64>) -> tensor<?x?x32xf32>
  %logits = attn.linear %m, %emb {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x32xf32>, tensor<64x32xf32>) -> tensor<?x?x64xf32>
  // expected-error @+1 {{'onnx.Transpose' remains after raising}}
  %kread2 = onnx.Transpose(%kc) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x1x?x16xf32>) -> tensor<?x?x1x16xf32>
  return %logits, %kc, %kread2 : tensor<?x?x64xf32>, tensor<?x1x?x16xf32>, tensor<?x?x1x16xf32>
}
