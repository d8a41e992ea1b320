// RUN: attnc-opt %s -split-input-file -attn-classify-masks | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-classify-masks | attnc-opt -split-input-file | FileCheck %s

// Causal only, the dynamo form: LessOrEqual(k, q) over Range index vectors
// ([S, 1] query, [1, T] key, right-aligned with the [b, h, S, T] scores),
// Where(mask, 0, -FLT_MAX) added to the scores; the Add feeding the Softmax
// is the anchor.
// CHECK-LABEL: func.func @causal
// CHECK: onnx.Where
// CHECK-NOT: attn.mask
// CHECK: onnx.Add(%{{.*}}, %{{.*}}) {attn.mask = {causal = true, padding = false, window = 0 : i64}}
// CHECK-NEXT: onnx.Softmax
func.func @causal(%q: tensor<?x4x?x8xf32>, %kt: tensor<?x4x8x?xf32>, %len: tensor<i64>) -> tensor<?x4x?x?xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %zero = onnx.Constant() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %min = onnx.Constant() {value = dense<-3.40282347E+38> : tensor<f32>} : () -> tensor<f32>
  %idx = onnx.Range(%c0, %len, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qi = onnx.Unsqueeze(%idx, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %ki = onnx.Unsqueeze(%idx, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %vis = onnx.LessOrEqual(%ki, %qi) : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %mask = onnx.Where(%vis, %zero, %min) : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  %a = onnx.Add(%s, %mask) : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// Causal + window 8 as the dynamo exporter writes it (Mistral):
// Greater(k, q - 8) And LessOrEqual(k, q), with a leading true And.
// CHECK-LABEL: func.func @window_dynamo
// CHECK: onnx.Add(%{{.*}}, %{{.*}}) {attn.mask = {causal = true, padding = false, window = 8 : i64}}
func.func @window_dynamo(%q: tensor<?x4x?x8xf32>, %kt: tensor<?x4x8x?xf32>, %len: tensor<i64>) -> tensor<?x4x?x?xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %c8 = onnx.Constant() {value = dense<8> : tensor<i64>} : () -> tensor<i64>
  %t = onnx.Constant() {value = dense<true> : tensor<i1>} : () -> tensor<i1>
  %ax01 = onnx.Constant() {value = dense<[0, 1]> : tensor<2xi64>} : () -> tensor<2xi64>
  %ax2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax3 = onnx.Constant() {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %zero = onnx.Constant() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %min = onnx.Constant() {value = dense<-3.40282347E+38> : tensor<f32>} : () -> tensor<f32>
  %idx = onnx.Range(%c0, %len, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %i3 = onnx.Unsqueeze(%idx, %ax01) : (tensor<?xi64>, tensor<2xi64>) -> tensor<1x1x?xi64>
  %qi = onnx.Unsqueeze(%i3, %ax3) : (tensor<1x1x?xi64>, tensor<1xi64>) -> tensor<1x1x?x1xi64>
  %ki = onnx.Unsqueeze(%i3, %ax2) : (tensor<1x1x?xi64>, tensor<1xi64>) -> tensor<1x1x1x?xi64>
  %lo = onnx.Sub(%qi, %c8) : (tensor<1x1x?x1xi64>, tensor<i64>) -> tensor<1x1x?x1xi64>
  %inwin = onnx.Greater(%ki, %lo) : (tensor<1x1x1x?xi64>, tensor<1x1x?x1xi64>) -> tensor<1x1x?x?xi1>
  %m0 = onnx.And(%t, %inwin) : (tensor<i1>, tensor<1x1x?x?xi1>) -> tensor<1x1x?x?xi1>
  %causal = onnx.LessOrEqual(%ki, %qi) : (tensor<1x1x1x?xi64>, tensor<1x1x?x1xi64>) -> tensor<1x1x?x?xi1>
  %vis = onnx.And(%m0, %causal) : (tensor<1x1x?x?xi1>, tensor<1x1x?x?xi1>) -> tensor<1x1x?x?xi1>
  %mask = onnx.Where(%vis, %zero, %min) : (tensor<1x1x?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<1x1x?x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  %a = onnx.Add(%s, %mask) : (tensor<?x4x?x?xf32>, tensor<1x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// Causal + window 4096, written another way: Not(k > q) for causal and
// q - k < 4096 for the window, and a Where that selects the scores (the
// anchor). The window is read from the constraint, never from lengths.
// CHECK-LABEL: func.func @window_where_on_scores
// CHECK: onnx.Where(%{{.*}}, %{{.*}}, %{{.*}}) {attn.mask = {causal = true, padding = false, window = 4096 : i64}}
// CHECK-NEXT: onnx.Softmax
func.func @window_where_on_scores(%q: tensor<?x4x?x8xf32>, %kt: tensor<?x4x8x?xf32>, %len: tensor<i64>) -> tensor<?x4x?x?xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %w = onnx.Constant() {value = dense<4096> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %min = onnx.Constant() {value = dense<-1.0e+09> : tensor<f32>} : () -> tensor<f32>
  %idx = onnx.Range(%c0, %len, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qi = onnx.Unsqueeze(%idx, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %ki = onnx.Unsqueeze(%idx, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %future = onnx.Greater(%ki, %qi) : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %causal = onnx.Not(%future) : (tensor<?x?xi1>) -> tensor<?x?xi1>
  %dist = onnx.Sub(%qi, %ki) : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  %inwin = onnx.Less(%dist, %w) : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %vis = onnx.And(%inwin, %causal) : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  %a = onnx.Where(%vis, %s, %min) : (tensor<?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// Causal (k < q + 1) + padding gathered at [b, k] from the attention_mask
// argument (GatherND of Cast(mask -> bool) with an index tuple Concat of the
// batch and key Range vectors, as dynamo writes it); padding_arg is that
// argument's number.
// CHECK-LABEL: func.func @causal_padding_gathernd
// CHECK: onnx.Add(%{{.*}}, %{{.*}}) {attn.mask = {causal = true, padding = true, padding_arg = 3 : i64, window = 0 : i64}}
func.func @causal_padding_gathernd(%q: tensor<?x4x?x8xf32>, %kt: tensor<?x4x8x?xf32>, %len: tensor<i64>, %am: tensor<?x?xi64>, %nb: tensor<i64>) -> tensor<?x4x?x?xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax012 = onnx.Constant() {value = dense<[0, 1, 2]> : tensor<3xi64>} : () -> tensor<3xi64>
  %ax123 = onnx.Constant() {value = dense<[1, 2, 3]> : tensor<3xi64>} : () -> tensor<3xi64>
  %ax013 = onnx.Constant() {value = dense<[0, 1, 3]> : tensor<3xi64>} : () -> tensor<3xi64>
  %axl = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %zero = onnx.Constant() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %min = onnx.Constant() {value = dense<-3.40282347E+38> : tensor<f32>} : () -> tensor<f32>
  %idx = onnx.Range(%c0, %len, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %bidx = onnx.Range(%c0, %nb, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qi = onnx.Unsqueeze(%idx, %ax013) : (tensor<?xi64>, tensor<3xi64>) -> tensor<1x1x?x1xi64>
  %ki = onnx.Unsqueeze(%idx, %ax012) : (tensor<?xi64>, tensor<3xi64>) -> tensor<1x1x1x?xi64>
  %bi = onnx.Unsqueeze(%bidx, %ax123) : (tensor<?xi64>, tensor<3xi64>) -> tensor<?x1x1x1xi64>
  %q1 = onnx.Add(%qi, %c1) : (tensor<1x1x?x1xi64>, tensor<i64>) -> tensor<1x1x?x1xi64>
  %causal = onnx.Less(%ki, %q1) : (tensor<1x1x1x?xi64>, tensor<1x1x?x1xi64>) -> tensor<1x1x?x?xi1>
  %mx = onnx.Max(%bi, %ki) : (tensor<?x1x1x1xi64>, tensor<1x1x1x?xi64>) -> tensor<?x1x1x?xi64>
  %shape = onnx.Shape(%mx) : (tensor<?x1x1x?xi64>) -> tensor<4xi64>
  %be = onnx.Expand(%bi, %shape) : (tensor<?x1x1x1xi64>, tensor<4xi64>) -> tensor<?x1x1x?xi64>
  %ke = onnx.Expand(%ki, %shape) : (tensor<1x1x1x?xi64>, tensor<4xi64>) -> tensor<?x1x1x?xi64>
  %b5 = onnx.Unsqueeze(%be, %axl) : (tensor<?x1x1x?xi64>, tensor<1xi64>) -> tensor<?x1x1x?x1xi64>
  %k5 = onnx.Unsqueeze(%ke, %axl) : (tensor<?x1x1x?xi64>, tensor<1xi64>) -> tensor<?x1x1x?x1xi64>
  %tuple = onnx.Concat(%b5, %k5) {axis = -1 : i64} : (tensor<?x1x1x?x1xi64>, tensor<?x1x1x?x1xi64>) -> tensor<?x1x1x?x2xi64>
  %amb = onnx.Cast(%am) {to = 9 : i64} : (tensor<?x?xi64>) -> tensor<?x?xi1>
  %pad = onnx.GatherND(%amb, %tuple) : (tensor<?x?xi1>, tensor<?x1x1x?x2xi64>) -> tensor<?x1x1x?xi1>
  %vis = onnx.And(%causal, %pad) : (tensor<1x1x?x?xi1>, tensor<?x1x1x?xi1>) -> tensor<?x1x?x?xi1>
  %mask = onnx.Where(%vis, %zero, %min) : (tensor<?x1x?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x1x?x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  %a = onnx.Add(%s, %mask) : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// Causal (q >= k) + padding the pre-dynamo HF way: the additive padding mask
// (1 - mask[:, None, None, :]) * min plus an additive causal mask; sums of
// additive masks are conjunctions.
// CHECK-LABEL: func.func @causal_padding_additive
// CHECK: onnx.Add(%{{.*}}, %{{.*}}) {attn.mask = {causal = true, padding = true, padding_arg = 1 : i64, window = 0 : i64}}
// CHECK-NEXT: onnx.Softmax
func.func @causal_padding_additive(%q: tensor<?x4x?x8xf32>, %am: tensor<?x?xi64>, %kt: tensor<?x4x8x?xf32>, %len: tensor<i64>) -> tensor<?x4x?x?xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax12 = onnx.Constant() {value = dense<[1, 2]> : tensor<2xi64>} : () -> tensor<2xi64>
  %one = onnx.Constant() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %zero = onnx.Constant() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %min = onnx.Constant() {value = dense<-3.40282347E+38> : tensor<f32>} : () -> tensor<f32>
  %idx = onnx.Range(%c0, %len, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qi = onnx.Unsqueeze(%idx, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %ki = onnx.Unsqueeze(%idx, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %vis = onnx.GreaterOrEqual(%qi, %ki) : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi1>
  %causal = onnx.Where(%vis, %zero, %min) : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %am4 = onnx.Unsqueeze(%am, %ax12) : (tensor<?x?xi64>, tensor<2xi64>) -> tensor<?x1x1x?xi64>
  %amf = onnx.Cast(%am4) {to = 9 : i64} : (tensor<?x1x1x?xi64>) -> tensor<?x1x1x?xi1>
  %ind = onnx.Cast(%amf) {to = 1 : i64} : (tensor<?x1x1x?xi1>) -> tensor<?x1x1x?xf32>
  %inv = onnx.Sub(%one, %ind) : (tensor<f32>, tensor<?x1x1x?xf32>) -> tensor<?x1x1x?xf32>
  %padm = onnx.Mul(%inv, %min) : (tensor<?x1x1x?xf32>, tensor<f32>) -> tensor<?x1x1x?xf32>
  %mask = onnx.Add(%causal, %padm) : (tensor<?x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x1x?x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  %a = onnx.Add(%mask, %s) : (tensor<?x1x?x?xf32>, tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// Two attentions sharing one mask (eager graphs): each anchor is annotated.
// CHECK-LABEL: func.func @shared_mask
// CHECK: onnx.Add(%{{.*}}, %[[M:.*]]) {attn.mask = {causal = true, padding = false, window = 0 : i64}}
// CHECK: onnx.Add(%{{.*}}, %[[M]]) {attn.mask = {causal = true, padding = false, window = 0 : i64}}
func.func @shared_mask(%q: tensor<?x4x?x8xf32>, %kt: tensor<?x4x8x?xf32>, %len: tensor<i64>) -> (tensor<?x4x?x?xf32>, tensor<?x4x?x?xf32>) {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %zero = onnx.Constant() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %min = onnx.Constant() {value = dense<-6.550400e+04> : tensor<f32>} : () -> tensor<f32>
  %idx = onnx.Range(%c0, %len, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qi = onnx.Unsqueeze(%idx, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %ki = onnx.Unsqueeze(%idx, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %vis = onnx.LessOrEqual(%ki, %qi) : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %mask = onnx.Where(%vis, %zero, %min) : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  %a = onnx.Add(%s, %mask) : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %s2 = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  %a2 = onnx.Add(%s2, %mask) : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %p2 = onnx.Softmax(%a2) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p, %p2 : tensor<?x4x?x?xf32>, tensor<?x4x?x?xf32>
}

// -----

// Must not fire: an unmasked Softmax (scaled scores straight into Softmax)
// is left alone.
// CHECK-LABEL: func.func @unmasked
// CHECK-NOT: attn.mask
// CHECK: return
func.func @unmasked(%q: tensor<?x4x?x8xf32>, %kt: tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32> {
  %scale = onnx.Constant() {value = dense<0.35> : tensor<f32>} : () -> tensor<f32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  %m = onnx.Mul(%s, %scale) : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%m) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// masked_fill form: Where(hidden, -inf, scores) with hidden = Not(causal) Or
// (attention_mask == 0), the scores upcast by a Cast before the Softmax; the
// Where under the Cast is the anchor.
// CHECK-LABEL: func.func @masked_fill_padding
// CHECK: onnx.Where(%{{.*}}, %{{.*}}, %{{.*}}) {attn.mask = {causal = true, padding = true, padding_arg = 0 : i64, window = 0 : i64}}
// CHECK-NEXT: onnx.Cast
// CHECK-NEXT: onnx.Softmax
func.func @masked_fill_padding(%am: tensor<?x?xi64>, %q: tensor<?x4x?x8xf16>, %kt: tensor<?x4x8x?xf16>, %len: tensor<i64>) -> tensor<?x4x?x?xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax12 = onnx.Constant() {value = dense<[1, 2]> : tensor<2xi64>} : () -> tensor<2xi64>
  %ninf = onnx.Constant() {value = dense<0xFC00> : tensor<f16>} : () -> tensor<f16>
  %idx = onnx.Range(%c0, %len, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qi = onnx.Unsqueeze(%idx, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %ki = onnx.Unsqueeze(%idx, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %future = onnx.Greater(%ki, %qi) : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %am4 = onnx.Unsqueeze(%am, %ax12) : (tensor<?x?xi64>, tensor<2xi64>) -> tensor<?x1x1x?xi64>
  %padded = onnx.Equal(%am4, %c0) : (tensor<?x1x1x?xi64>, tensor<i64>) -> tensor<?x1x1x?xi1>
  %hidden = onnx.Or(%future, %padded) : (tensor<?x?xi1>, tensor<?x1x1x?xi1>) -> tensor<?x1x?x?xi1>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf16>, tensor<?x4x8x?xf16>) -> tensor<?x4x?x?xf16>
  %a = onnx.Where(%hidden, %ninf, %s) : (tensor<?x1x?x?xi1>, tensor<f16>, tensor<?x4x?x?xf16>) -> tensor<?x4x?x?xf16>
  %up = onnx.Cast(%a) {to = 1 : i64} : (tensor<?x4x?x?xf16>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%up) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// A looser redundant bound (k <= q + 2) next to the causal one (k - 1 < q,
// built from Transpose-d index vectors): the tightest bound decides.
// CHECK-LABEL: func.func @redundant_bound
// CHECK: onnx.Add(%{{.*}}, %{{.*}}) {attn.mask = {causal = true, padding = false, window = 0 : i64}}
func.func @redundant_bound(%q: tensor<?x4x?x8xf32>, %kt: tensor<?x4x8x?xf32>, %len: tensor<i64>) -> tensor<?x4x?x?xf32> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %c2 = onnx.Constant() {value = dense<2> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %zero = onnx.Constant() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %min = onnx.Constant() {value = dense<-3.40282347E+38> : tensor<f32>} : () -> tensor<f32>
  %idx = onnx.Range(%c0, %len, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %ki = onnx.Unsqueeze(%idx, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %qi = onnx.Transpose(%ki) {perm = array<i64: 1, 0>} : (tensor<1x?xi64>) -> tensor<?x1xi64>
  %q2 = onnx.Add(%qi, %c2) : (tensor<?x1xi64>, tensor<i64>) -> tensor<?x1xi64>
  %loose = onnx.LessOrEqual(%ki, %q2) : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %km1 = onnx.Sub(%ki, %c1) : (tensor<1x?xi64>, tensor<i64>) -> tensor<1x?xi64>
  %causal = onnx.Less(%km1, %qi) : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %vis = onnx.And(%loose, %causal) : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
  %mask = onnx.Where(%vis, %zero, %min) : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  %a = onnx.Add(%s, %mask) : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// A graph with past_key_values: queries at Range(0, seq) + past (the past
// length read off the past input's shape, a symbol), keys Range(0, past +
// seq). The bound k <= q + past is causal with query i at key position
// kv_seq - seq + i, which the scores' shapes prove: kv_aligned.
// CHECK-LABEL: func.func @causal_past
// CHECK: onnx.Add(%{{.*}}, %{{.*}}) {attn.mask = {causal = true, kv_aligned = true, padding = false, window = 0 : i64}}
func.func @causal_past(%q: tensor<?x4x?x8xf32> {onnx.dim_params = ["batch", "", "seq", ""]}, %kn: tensor<?x4x?x8xf32> {onnx.dim_params = ["batch", "", "seq", ""]}, %pk: tensor<?x4x?x8xf32> {onnx.dim_params = ["batch", "", "past", ""]}) -> tensor<?x4x?x?xf32> {
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
  %qpos = onnx.Add(%qr, %past) : (tensor<?xi64>, tensor<i64>) -> tensor<?xi64>
  %kpos = onnx.Range(%c0, %total, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qi = onnx.Unsqueeze(%qpos, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %ki = onnx.Unsqueeze(%kpos, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %causal = onnx.LessOrEqual(%ki, %qi) : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %vis = onnx.Identity(%causal) : (tensor<?x?xi1>) -> tensor<?x?xi1>
  %mask = onnx.Where(%vis, %zero, %min) : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %k = onnx.Concat(%pk, %kn) {axis = 2 : i64} : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  %kt = onnx.Transpose(%k) {perm = array<i64: 0, 1, 3, 2>} : (tensor<?x4x?x8xf32>) -> tensor<?x4x8x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  %a = onnx.Add(%s, %mask) : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}

// -----

// The same with a sliding window of 8 (Mistral with a past).
// CHECK-LABEL: func.func @window_past
// CHECK: onnx.Add(%{{.*}}, %{{.*}}) {attn.mask = {causal = true, kv_aligned = true, padding = false, window = 8 : i64}}
func.func @window_past(%q: tensor<?x4x?x8xf32> {onnx.dim_params = ["batch", "", "seq", ""]}, %kn: tensor<?x4x?x8xf32> {onnx.dim_params = ["batch", "", "seq", ""]}, %pk: tensor<?x4x?x8xf32> {onnx.dim_params = ["batch", "", "past", ""]}) -> tensor<?x4x?x?xf32> {
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
  %qpos = onnx.Add(%qr, %past) : (tensor<?xi64>, tensor<i64>) -> tensor<?xi64>
  %kpos = onnx.Range(%c0, %total, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %qi = onnx.Unsqueeze(%qpos, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  %ki = onnx.Unsqueeze(%kpos, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %causal = onnx.LessOrEqual(%ki, %qi) : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %lo = onnx.Sub(%qi, %c8) : (tensor<?x1xi64>, tensor<i64>) -> tensor<?x1xi64>
  %inwin = onnx.Greater(%ki, %lo) : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %vis = onnx.And(%causal, %inwin) : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
  %mask = onnx.Where(%vis, %zero, %min) : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %k = onnx.Concat(%pk, %kn) {axis = 2 : i64} : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  %kt = onnx.Transpose(%k) {perm = array<i64: 0, 1, 3, 2>} : (tensor<?x4x?x8xf32>) -> tensor<?x4x8x?xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32>
  %a = onnx.Add(%s, %mask) : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.Softmax(%a) : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %p : tensor<?x4x?x?xf32>
}
