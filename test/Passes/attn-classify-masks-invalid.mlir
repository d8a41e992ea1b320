// RUN: attnc-opt %s -split-input-file -attn-classify-masks -verify-diagnostics

// Not causal: k < q + 3 lets query i see keys i+1 and i+2; refused, never
// annotated as causal. The error names the ONNX node of the bound.
func.func @not_causal(%q: tensor<?x4x?x8xf32>, %kt: tensor<?x4x8x?xf32>, %len: tensor<i64>) -> tensor<?x4x?x?xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %c3 = onnx.Constant() {value = dense<3> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %zero = onnx.Constant() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %min = onnx.Constant() {value = dense<-3.40282347E+38> : tensor<f32>} : () -> tensor<f32>
  %idx = onnx.Range(%c0, %len, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qi = onnx.Unsqueeze(%idx, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %ki = onnx.Unsqueeze(%idx, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %q3 = onnx.Add(%qi, %c3) : (tensor<?x1xi64>, tensor<i64>) -> tensor<?x1xi64>
  %vis = onnx.Less(%ki, %q3) : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1> loc("node_lt_3")
  %mask = onnx.Where(%vis, %zero, %min) : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  // expected-error @below {{cannot classify the attention mask: the mask lets query i see keys up to i + 2 (not causal): q - k + 2 >= 0 (from onnx.Less 'node_lt_3')}}
  %a = onnx.Add(%s, %mask) : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// A window bound without the causal bound is not a sliding window.
func.func @window_without_causal(%q: tensor<?x4x?x8xf32>, %kt: tensor<?x4x8x?xf32>, %len: tensor<i64>) -> tensor<?x4x?x?xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %c8 = onnx.Constant() {value = dense<8> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %zero = onnx.Constant() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %min = onnx.Constant() {value = dense<-3.40282347E+38> : tensor<f32>} : () -> tensor<f32>
  %idx = onnx.Range(%c0, %len, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qi = onnx.Unsqueeze(%idx, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %ki = onnx.Unsqueeze(%idx, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %lo = onnx.Sub(%qi, %c8) : (tensor<?x1xi64>, tensor<i64>) -> tensor<?x1xi64>
  %vis = onnx.Greater(%ki, %lo) : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %mask = onnx.Where(%vis, %zero, %min) : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  // expected-error @below {{cannot classify the attention mask: a window bound without the causal bound (from onnx.Greater)}}
  %a = onnx.Add(%s, %mask) : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// Causal Or the first 4 keys (StreamingLLM sinks): a disjunction that is
// none of causal / window / padding; refused, not read as causal.
func.func @sink_disjunction(%q: tensor<?x4x?x8xf32>, %kt: tensor<?x4x8x?xf32>, %len: tensor<i64>) -> tensor<?x4x?x?xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %c4 = onnx.Constant() {value = dense<4> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %zero = onnx.Constant() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %min = onnx.Constant() {value = dense<-3.40282347E+38> : tensor<f32>} : () -> tensor<f32>
  %idx = onnx.Range(%c0, %len, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qi = onnx.Unsqueeze(%idx, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %ki = onnx.Unsqueeze(%idx, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %causal = onnx.LessOrEqual(%ki, %qi) : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %sink = onnx.Less(%ki, %c4) : (tensor<1x?xi64>, tensor<i64>) -> tensor<1x?xi1>
  %vis = onnx.Or(%causal, %sink) : (tensor<?x?xi1>, tensor<1x?xi1>) -> tensor<?x?xi1>
  %mask = onnx.Where(%vis, %zero, %min) : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  // expected-error @below {{cannot classify the attention mask: a disjunction of mask conditions that is not causal/window/padding (from onnx.Or)}}
  %a = onnx.Add(%s, %mask) : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// A float bias from another input (ALiBi-like) added to the scores is not a
// mask this pass understands; refused rather than dropped.
func.func @other_input(%q: tensor<?x4x?x8xf32>, %kt: tensor<?x4x8x?xf32>, %bias: tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32> {
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  // expected-error @below {{cannot classify the attention mask: the mask depends on an input that is not a [batch, kv_seq] attention mask at function argument #2}}
  %a = onnx.Add(%s, %bias) : (tensor<?x4x?x?xf32>, tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// A non-affine index (q * k) is refused at the node that makes it.
func.func @non_affine(%q: tensor<?x4x?x8xf32>, %kt: tensor<?x4x8x?xf32>, %len: tensor<i64>) -> tensor<?x4x?x?xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %zero = onnx.Constant() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %min = onnx.Constant() {value = dense<-3.40282347E+38> : tensor<f32>} : () -> tensor<f32>
  %idx = onnx.Range(%c0, %len, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qi = onnx.Unsqueeze(%idx, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %ki = onnx.Unsqueeze(%idx, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %qk = onnx.Mul(%qi, %ki) : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  %vis = onnx.LessOrEqual(%qk, %qi) : (tensor<?x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %mask = onnx.Where(%vis, %zero, %min) : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  // expected-error @below {{cannot classify the attention mask: a product of two index expressions (not affine) at onnx.Mul}}
  %a = onnx.Add(%s, %mask) : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// Padding read at [b, q] instead of [b, k] is not key padding.
func.func @padding_wrong_index(%q: tensor<?x4x?x8xf32>, %kt: tensor<?x4x8x?xf32>, %len: tensor<i64>, %am: tensor<?x?xi64>) -> tensor<?x4x?x?xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax13 = onnx.Constant() {value = dense<[1, 3]> : tensor<2xi64>} : () -> tensor<2xi64>
  %zero = onnx.Constant() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %min = onnx.Constant() {value = dense<-3.40282347E+38> : tensor<f32>} : () -> tensor<f32>
  %idx = onnx.Range(%c0, %len, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qi = onnx.Unsqueeze(%idx, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %ki = onnx.Unsqueeze(%idx, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %causal = onnx.LessOrEqual(%ki, %qi) : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %amb = onnx.Cast(%am) {to = 9 : i64} : (tensor<?x?xi64>) -> tensor<?x?xi1>
  %pad = onnx.Unsqueeze(%amb, %ax13) : (tensor<?x?xi1>, tensor<2xi64>) -> tensor<?x1x?x1xi1>
  %vis = onnx.And(%causal, %pad) : (tensor<?x?xi1>, tensor<?x1x?x1xi1>) -> tensor<?x1x?x?xi1>
  %mask = onnx.Where(%vis, %zero, %min) : (tensor<?x1x?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x1x?x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  // expected-error @below {{cannot classify the attention mask: the attention mask input is read at an index other than [batch, key] (from onnx.Cast)}}
  %a = onnx.Add(%s, %mask) : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// With a past, queries not offset by it (k <= q by index while kv_seq = past
// + seq) are not aligned with the last keys: refused, not classified causal.
func.func @past_not_offset(%q: tensor<?x4x?x8xf32> {onnx.dim_params = ["batch", "", "seq", ""]}, %kn: tensor<?x4x?x8xf32> {onnx.dim_params = ["batch", "", "seq", ""]}, %pk: tensor<?x4x?x8xf32> {onnx.dim_params = ["batch", "", "past", ""]}) -> tensor<?x4x?x?xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %c8 = onnx.Constant() {value = dense<8> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %zero = onnx.Constant() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %min = onnx.Constant() {value = dense<-3.40282347E+38> : tensor<f32>} : () -> tensor<f32>
  %none = onnx.NoValue() : () -> none
  %ps = onnx.Shape(%pk) {end = 3 : i64, start = 2 : i64} : (tensor<?x4x?x8xf32>) -> tensor<1xi64>
  %past = onnx.Squeeze(%ps, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %ss = onnx.Shape(%q) {end = 3 : i64, start = 2 : i64} : (tensor<?x4x?x8xf32>) -> tensor<1xi64>
  %seq = onnx.Squeeze(%ss, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %total = onnx.Add(%past, %seq) : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %qr = onnx.Range(%c0, %seq, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qpos = onnx.Identity(%qr) : (tensor<?xi64>) -> tensor<?xi64>
  %kpos = onnx.Range(%c0, %total, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qi = onnx.Unsqueeze(%qpos, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %ki = onnx.Unsqueeze(%kpos, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %causal = onnx.LessOrEqual(%ki, %qi) : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %vis = onnx.Identity(%causal) : (tensor<?x?xi1>) -> tensor<?x?xi1>
  %mask = onnx.Where(%vis, %zero, %min) : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %k = onnx.Concat(%pk, %kn) {axis = 2 : i64} : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  %kt = onnx.Transpose(%k) {perm = array<i64: 0, 1, 3, 2>} : (tensor<?x4x?x8xf32>) -> tensor<?x4x8x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  // expected-error @+1 {{cannot classify the attention mask: a mask bound whose query offset (0) is not the past length kv_seq - seq (past) times 1: q - k >= 0 (from onnx.LessOrEqual)}}
  %a = onnx.Add(%s, %mask) : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// Queries offset by twice the past length: refused.
func.func @past_offset_twice(%q: tensor<?x4x?x8xf32> {onnx.dim_params = ["batch", "", "seq", ""]}, %kn: tensor<?x4x?x8xf32> {onnx.dim_params = ["batch", "", "seq", ""]}, %pk: tensor<?x4x?x8xf32> {onnx.dim_params = ["batch", "", "past", ""]}) -> tensor<?x4x?x?xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %c8 = onnx.Constant() {value = dense<8> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %zero = onnx.Constant() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %min = onnx.Constant() {value = dense<-3.40282347E+38> : tensor<f32>} : () -> tensor<f32>
  %none = onnx.NoValue() : () -> none
  %ps = onnx.Shape(%pk) {end = 3 : i64, start = 2 : i64} : (tensor<?x4x?x8xf32>) -> tensor<1xi64>
  %past = onnx.Squeeze(%ps, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %ss = onnx.Shape(%q) {end = 3 : i64, start = 2 : i64} : (tensor<?x4x?x8xf32>) -> tensor<1xi64>
  %seq = onnx.Squeeze(%ss, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %total = onnx.Add(%past, %seq) : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %qr = onnx.Range(%c0, %seq, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %past2 = onnx.Add(%past, %past) : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %qpos = onnx.Add(%qr, %past2) : (tensor<?xi64>, tensor<i64>) -> tensor<?xi64>
  %kpos = onnx.Range(%c0, %total, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qi = onnx.Unsqueeze(%qpos, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %ki = onnx.Unsqueeze(%kpos, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %causal = onnx.LessOrEqual(%ki, %qi) : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %vis = onnx.Identity(%causal) : (tensor<?x?xi1>) -> tensor<?x?xi1>
  %mask = onnx.Where(%vis, %zero, %min) : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %k = onnx.Concat(%pk, %kn) {axis = 2 : i64} : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  %kt = onnx.Transpose(%k) {perm = array<i64: 0, 1, 3, 2>} : (tensor<?x4x?x8xf32>) -> tensor<?x4x8x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  // expected-error @+1 {{a mask bound whose query offset (2*past) is not the past length kv_seq - seq (past)}}
  %a = onnx.Add(%s, %mask) : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}
