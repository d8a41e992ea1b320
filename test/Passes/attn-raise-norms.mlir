// RUN: attnc-opt %s -split-input-file -attn-raise-norms | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-raise-norms | attnc-opt -split-input-file | FileCheck %s

// The dynamo RMSNorm: x * Reciprocal(Sqrt(mean(x^2) + eps)), weight first.
// CHECK-LABEL: func.func @rms_dynamo
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x4xf32>)
// CHECK: %[[W:.*]] = onnx.Constant() {value = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]>
// CHECK-NOT: onnx.Pow
// CHECK-NOT: onnx.ReduceMean
// CHECK-NOT: onnx.Sqrt
// CHECK-NOT: onnx.Reciprocal
// CHECK-NOT: onnx.Mul
// CHECK: %[[N:.*]] = attn.rms_norm %[[X]], %[[W]] {epsilon = 9.99999997E-7 : f32} : (tensor<?x?x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
// CHECK: return %[[N]]
func.func @rms_dynamo(%x: tensor<?x?x4xf32>) -> tensor<?x?x4xf32> {
  %w = onnx.Constant() {value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %two = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<9.99999997E-7> : tensor<f32>} : () -> tensor<f32>
  %sq = onnx.Pow(%x, %two) : (tensor<?x?x4xf32>, tensor<f32>) -> tensor<?x?x4xf32>
  %mean = onnx.ReduceMean(%sq, %axes) : (tensor<?x?x4xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
  %var = onnx.Add(%mean, %eps) : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %std = onnx.Sqrt(%var) : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %inv = onnx.Reciprocal(%std) : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %normed = onnx.Mul(%x, %inv) : (tensor<?x?x4xf32>, tensor<?x?x1xf32>) -> tensor<?x?x4xf32>
  %y = onnx.Mul(%w, %normed) : (tensor<4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The Div spelling, x * x for the square, eps first, weight last, and the
// reduction axis written as rank - 1.
// CHECK-LABEL: func.func @rms_div_form
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[W:.*]] = onnx.Constant() {value = dense<5.000000e-01> : tensor<4xf32>}
// CHECK-NOT: onnx.Div
// CHECK: attn.rms_norm %[[X]], %[[W]] {epsilon = 9.99999974E-6 : f32} : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
func.func @rms_div_form(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %w = onnx.Constant() {value = dense<0.5> : tensor<4xf32>} : () -> tensor<4xf32>
  %axes = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<9.99999974E-6> : tensor<1xf32>} : () -> tensor<1xf32>
  %sq = onnx.Mul(%x, %x) : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %mean = onnx.ReduceMean(%sq, %axes) : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x3x1xf32>
  %var = onnx.Add(%eps, %mean) : (tensor<1xf32>, tensor<2x3x1xf32>) -> tensor<2x3x1xf32>
  %std = onnx.Sqrt(%var) : (tensor<2x3x1xf32>) -> tensor<2x3x1xf32>
  %normed = onnx.Div(%x, %std) : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
  %y = onnx.Mul(%normed, %w) : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// Gemma scales by (1 + w): the raw w is kept and the 1 recorded as the offset.
// CHECK-LABEL: func.func @rms_gemma_one_plus_w
// CHECK: %[[W:.*]] = onnx.Constant() {value = dense<[1.000000e-01, 2.000000e-01, 3.000000e-01, 4.000000e-01]>
// CHECK-NOT: onnx.Add
// CHECK: attn.rms_norm %{{.*}}, %[[W]] {epsilon = 9.99999997E-7 : f32, weight_offset = 1.000000e+00 : f32}
func.func @rms_gemma_one_plus_w(%x: tensor<?x?x4xf32>) -> tensor<?x?x4xf32> {
  %w = onnx.Constant() {value = dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>} : () -> tensor<4xf32>
  %one = onnx.Constant() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %scale = onnx.Add(%one, %w) : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %two = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<9.99999997E-7> : tensor<f32>} : () -> tensor<f32>
  %sq = onnx.Pow(%x, %two) : (tensor<?x?x4xf32>, tensor<f32>) -> tensor<?x?x4xf32>
  %mean = onnx.ReduceMean(%sq, %axes) : (tensor<?x?x4xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
  %var = onnx.Add(%mean, %eps) : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %std = onnx.Sqrt(%var) : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %inv = onnx.Reciprocal(%std) : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %normed = onnx.Mul(%x, %inv) : (tensor<?x?x4xf32>, tensor<?x?x1xf32>) -> tensor<?x?x4xf32>
  %y = onnx.Mul(%normed, %scale) : (tensor<?x?x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Gemma's w + 1 with the constant second.
// CHECK-LABEL: func.func @rms_gemma_w_plus_one
// CHECK: attn.rms_norm {{.*}}weight_offset = 1.000000e+00 : f32
func.func @rms_gemma_w_plus_one(%x: tensor<?x?x4xf32>) -> tensor<?x?x4xf32> {
  %w = onnx.Constant() {value = dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>} : () -> tensor<4xf32>
  %one = onnx.Constant() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %scale = onnx.Add(%w, %one) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %two = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<9.99999997E-7> : tensor<f32>} : () -> tensor<f32>
  %sq = onnx.Pow(%x, %two) : (tensor<?x?x4xf32>, tensor<f32>) -> tensor<?x?x4xf32>
  %mean = onnx.ReduceMean(%sq, %axes) : (tensor<?x?x4xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
  %var = onnx.Add(%mean, %eps) : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %std = onnx.Sqrt(%var) : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %inv = onnx.Reciprocal(%std) : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %normed = onnx.Mul(%inv, %x) : (tensor<?x?x1xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %y = onnx.Mul(%scale, %normed) : (tensor<4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// A Gemma-like offset that is not 1 is just some other scale: not raised.
// CHECK-LABEL: func.func @rms_offset_not_one
// CHECK-NOT: attn.rms_norm
// CHECK: onnx.ReduceMean
func.func @rms_offset_not_one(%x: tensor<?x?x4xf32>) -> tensor<?x?x4xf32> {
  %w = onnx.Constant() {value = dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>} : () -> tensor<4xf32>
  %one = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %scale = onnx.Add(%w, %one) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %two = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<9.99999997E-7> : tensor<f32>} : () -> tensor<f32>
  %sq = onnx.Pow(%x, %two) : (tensor<?x?x4xf32>, tensor<f32>) -> tensor<?x?x4xf32>
  %mean = onnx.ReduceMean(%sq, %axes) : (tensor<?x?x4xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
  %var = onnx.Add(%mean, %eps) : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %std = onnx.Sqrt(%var) : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %inv = onnx.Reciprocal(%std) : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %normed = onnx.Mul(%x, %inv) : (tensor<?x?x4xf32>, tensor<?x?x1xf32>) -> tensor<?x?x4xf32>
  %y = onnx.Mul(%normed, %scale) : (tensor<?x?x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Qwen3 / Gemma-3 q/k norm: per head, over head_dim of [b, heads, s, head_dim].
// CHECK-LABEL: func.func @rms_per_head
// CHECK: attn.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32} : (tensor<?x4x?x8xf32>, tensor<8xf32>) -> tensor<?x4x?x8xf32>
func.func @rms_per_head(%q: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %w = onnx.Constant() {value = dense<1.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %two = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<9.99999997E-7> : tensor<f32>} : () -> tensor<f32>
  %sq = onnx.Pow(%q, %two) : (tensor<?x4x?x8xf32>, tensor<f32>) -> tensor<?x4x?x8xf32>
  %mean = onnx.ReduceMean(%sq, %axes) : (tensor<?x4x?x8xf32>, tensor<1xi64>) -> tensor<?x4x?x1xf32>
  %var = onnx.Add(%mean, %eps) : (tensor<?x4x?x1xf32>, tensor<f32>) -> tensor<?x4x?x1xf32>
  %std = onnx.Sqrt(%var) : (tensor<?x4x?x1xf32>) -> tensor<?x4x?x1xf32>
  %inv = onnx.Reciprocal(%std) : (tensor<?x4x?x1xf32>) -> tensor<?x4x?x1xf32>
  %normed = onnx.Mul(%q, %inv) : (tensor<?x4x?x8xf32>, tensor<?x4x?x1xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Mul(%normed, %w) : (tensor<?x4x?x8xf32>, tensor<8xf32>) -> tensor<?x4x?x8xf32>
  return %y : tensor<?x4x?x8xf32>
}

// -----

// A weight computed at run time (here a function argument) is not raised.
// CHECK-LABEL: func.func @rms_weight_not_constant
// CHECK-NOT: attn.rms_norm
// CHECK: onnx.Reciprocal
func.func @rms_weight_not_constant(%x: tensor<?x?x4xf32>, %w: tensor<4xf32>) -> tensor<?x?x4xf32> {
  %two = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<9.99999997E-7> : tensor<f32>} : () -> tensor<f32>
  %sq = onnx.Pow(%x, %two) : (tensor<?x?x4xf32>, tensor<f32>) -> tensor<?x?x4xf32>
  %mean = onnx.ReduceMean(%sq, %axes) : (tensor<?x?x4xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
  %var = onnx.Add(%mean, %eps) : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %std = onnx.Sqrt(%var) : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %inv = onnx.Reciprocal(%std) : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %normed = onnx.Mul(%x, %inv) : (tensor<?x?x4xf32>, tensor<?x?x1xf32>) -> tensor<?x?x4xf32>
  %y = onnx.Mul(%w, %normed) : (tensor<4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// A one-element weight broadcasts but is not a per-channel norm weight.
// CHECK-LABEL: func.func @rms_weight_wrong_size
// CHECK-NOT: attn.rms_norm
func.func @rms_weight_wrong_size(%x: tensor<?x?x4xf32>) -> tensor<?x?x4xf32> {
  %w = onnx.Constant() {value = dense<2.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %two = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<9.99999997E-7> : tensor<f32>} : () -> tensor<f32>
  %sq = onnx.Pow(%x, %two) : (tensor<?x?x4xf32>, tensor<f32>) -> tensor<?x?x4xf32>
  %mean = onnx.ReduceMean(%sq, %axes) : (tensor<?x?x4xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
  %var = onnx.Add(%mean, %eps) : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %std = onnx.Sqrt(%var) : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %inv = onnx.Reciprocal(%std) : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %normed = onnx.Mul(%x, %inv) : (tensor<?x?x4xf32>, tensor<?x?x1xf32>) -> tensor<?x?x4xf32>
  %y = onnx.Mul(%w, %normed) : (tensor<1xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The mean over a non-last axis is not an RMSNorm over the hidden dim.
// CHECK-LABEL: func.func @rms_reduce_not_last_axis
// CHECK-NOT: attn.rms_norm
// CHECK: onnx.ReduceMean
func.func @rms_reduce_not_last_axis(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %two = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %axes = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<9.99999997E-7> : tensor<f32>} : () -> tensor<f32>
  %sq = onnx.Pow(%x, %two) : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %mean = onnx.ReduceMean(%sq, %axes) : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x1x4xf32>
  %var = onnx.Add(%mean, %eps) : (tensor<2x1x4xf32>, tensor<f32>) -> tensor<2x1x4xf32>
  %std = onnx.Sqrt(%var) : (tensor<2x1x4xf32>) -> tensor<2x1x4xf32>
  %inv = onnx.Reciprocal(%std) : (tensor<2x1x4xf32>) -> tensor<2x1x4xf32>
  %normed = onnx.Mul(%x, %inv) : (tensor<2x3x4xf32>, tensor<2x1x4xf32>) -> tensor<2x3x4xf32>
  %y = onnx.Mul(%w, %normed) : (tensor<4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// Without keepdims the statistic no longer lines up with x's dims.
// CHECK-LABEL: func.func @rms_no_keepdims
// CHECK-NOT: attn.rms_norm
func.func @rms_no_keepdims(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %two = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<9.99999997E-7> : tensor<f32>} : () -> tensor<f32>
  %sq = onnx.Pow(%x, %two) : (tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
  %mean = onnx.ReduceMean(%sq, %axes) {keepdims = 0 : i64} : (tensor<4x4xf32>, tensor<1xi64>) -> tensor<4xf32>
  %var = onnx.Add(%mean, %eps) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %std = onnx.Sqrt(%var) : (tensor<4xf32>) -> tensor<4xf32>
  %inv = onnx.Reciprocal(%std) : (tensor<4xf32>) -> tensor<4xf32>
  %normed = onnx.Mul(%x, %inv) : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4x4xf32>
  %y = onnx.Mul(%w, %normed) : (tensor<4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// A per-channel epsilon (shape [4]) is not the scalar of an RMSNorm.
// CHECK-LABEL: func.func @rms_epsilon_wrong_shape
// CHECK-NOT: attn.rms_norm
// CHECK: onnx.Sqrt
func.func @rms_epsilon_wrong_shape(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %two = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<[1.0e-6, 2.0e-6, 3.0e-6, 4.0e-6]> : tensor<4xf32>} : () -> tensor<4xf32>
  %sq = onnx.Pow(%x, %two) : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %mean = onnx.ReduceMean(%sq, %axes) : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x3x1xf32>
  %var = onnx.Add(%mean, %eps) : (tensor<2x3x1xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %std = onnx.Sqrt(%var) : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %inv = onnx.Reciprocal(%std) : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %normed = onnx.Mul(%x, %inv) : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %y = onnx.Mul(%w, %normed) : (tensor<4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// A one-element epsilon of higher rank broadcasts the statistic up a dim.
// CHECK-LABEL: func.func @rms_epsilon_higher_rank
// CHECK-NOT: attn.rms_norm
func.func @rms_epsilon_higher_rank(%x: tensor<3x4xf32>) -> tensor<1x3x4xf32> {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %two = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<1.0e-6> : tensor<1x1x1xf32>} : () -> tensor<1x1x1xf32>
  %sq = onnx.Pow(%x, %two) : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %mean = onnx.ReduceMean(%sq, %axes) : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<3x1xf32>
  %var = onnx.Add(%mean, %eps) : (tensor<3x1xf32>, tensor<1x1x1xf32>) -> tensor<1x3x1xf32>
  %std = onnx.Sqrt(%var) : (tensor<1x3x1xf32>) -> tensor<1x3x1xf32>
  %inv = onnx.Reciprocal(%std) : (tensor<1x3x1xf32>) -> tensor<1x3x1xf32>
  %normed = onnx.Mul(%x, %inv) : (tensor<3x4xf32>, tensor<1x3x1xf32>) -> tensor<1x3x4xf32>
  %y = onnx.Mul(%w, %normed) : (tensor<4xf32>, tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
  return %y : tensor<1x3x4xf32>
}

// -----

// An epsilon that is not a constant is not raised either.
// CHECK-LABEL: func.func @rms_epsilon_not_constant
// CHECK-NOT: attn.rms_norm
func.func @rms_epsilon_not_constant(%x: tensor<2x3x4xf32>, %eps: tensor<f32>) -> tensor<2x3x4xf32> {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %two = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %sq = onnx.Pow(%x, %two) : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %mean = onnx.ReduceMean(%sq, %axes) : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x3x1xf32>
  %var = onnx.Add(%mean, %eps) : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %std = onnx.Sqrt(%var) : (tensor<2x3x1xf32>) -> tensor<2x3x1xf32>
  %inv = onnx.Reciprocal(%std) : (tensor<2x3x1xf32>) -> tensor<2x3x1xf32>
  %normed = onnx.Mul(%x, %inv) : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
  %y = onnx.Mul(%w, %normed) : (tensor<4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// Pow(x, 3) is not a square; and the statistic of one value normalising
// another is not a norm of either.
// CHECK-LABEL: func.func @rms_wrong_exponent_or_input
// CHECK-NOT: attn.rms_norm
func.func @rms_wrong_exponent_or_input(%x: tensor<2x4xf32>, %other: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %two = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %three = onnx.Constant() {value = dense<3.0> : tensor<f32>} : () -> tensor<f32>
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<9.99999997E-7> : tensor<f32>} : () -> tensor<f32>
  %cube = onnx.Pow(%x, %three) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %mean3 = onnx.ReduceMean(%cube, %axes) : (tensor<2x4xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %var3 = onnx.Add(%mean3, %eps) : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %std3 = onnx.Sqrt(%var3) : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %n3 = onnx.Div(%x, %std3) : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %y3 = onnx.Mul(%n3, %w) : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %sq = onnx.Pow(%x, %two) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %mean = onnx.ReduceMean(%sq, %axes) : (tensor<2x4xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %var = onnx.Add(%mean, %eps) : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %std = onnx.Sqrt(%var) : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %n = onnx.Div(%other, %std) : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %y = onnx.Mul(%n, %w) : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %y3, %y : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// ONNX RMSNormalization (opset 23) over the last axis.
// CHECK-LABEL: func.func @rms_normalization_23
// CHECK-NOT: onnx.RMSNormalization
// CHECK: attn.rms_norm %arg0, %{{.*}} {epsilon = 9.99999997E-7 : f32} : (tensor<2x8x4xf32>, tensor<4xf32>) -> tensor<2x8x4xf32>
func.func @rms_normalization_23(%x: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %y = onnx.RMSNormalization(%x, %w) {epsilon = 9.99999997E-7 : f32} : (tensor<2x8x4xf32>, tensor<4xf32>) -> tensor<2x8x4xf32>
  return %y : tensor<2x8x4xf32>
}

// -----

// onnxruntime's SimplifiedLayerNormalization, axis written as rank - 1.
// CHECK-LABEL: func.func @simplified_layer_norm
// CHECK-NOT: onnx.SimplifiedLayerNormalization
// CHECK: attn.rms_norm %arg0, %{{.*}} {epsilon = 9.99999974E-6 : f32}
func.func @simplified_layer_norm(%x: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %y, %inv = onnx.SimplifiedLayerNormalization(%x, %w) {axis = 2 : i64} : (tensor<2x8x4xf32>, tensor<4xf32>) -> (tensor<2x8x4xf32>, none)
  return %y : tensor<2x8x4xf32>
}

// -----

// Fused RMS norms over the last two axes, or with a run-time scale, stay.
// CHECK-LABEL: func.func @fused_rms_not_last_axis
// (A [4] scale broadcasts over the normalised [8, 4], so only the axis
// tells these apart from a last-dim norm.)
// CHECK-NOT: attn.rms_norm
// CHECK: onnx.RMSNormalization
// CHECK: onnx.SimplifiedLayerNormalization
// CHECK: onnx.RMSNormalization
func.func @fused_rms_not_last_axis(%x: tensor<2x8x4xf32>, %s: tensor<4xf32>) -> (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>) {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %a = onnx.RMSNormalization(%x, %w) {axis = 1 : i64} : (tensor<2x8x4xf32>, tensor<4xf32>) -> tensor<2x8x4xf32>
  %b, %inv = onnx.SimplifiedLayerNormalization(%x, %w) {axis = -2 : i64} : (tensor<2x8x4xf32>, tensor<4xf32>) -> (tensor<2x8x4xf32>, none)
  %c = onnx.RMSNormalization(%x, %s) : (tensor<2x8x4xf32>, tensor<4xf32>) -> tensor<2x8x4xf32>
  return %a, %b, %c : tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>
}

// -----

// ONNX LayerNormalization over the last axis, with and without a bias.
// CHECK-LABEL: func.func @layer_norm
// CHECK: %[[W:.*]] = onnx.Constant() {value = dense<2.000000e+00> : tensor<4xf32>}
// CHECK: %[[B:.*]] = onnx.Constant() {value = dense<5.000000e-01> : tensor<4xf32>}
// CHECK-NOT: onnx.LayerNormalization
// CHECK: attn.layer_norm %arg0, %[[W]] bias(%[[B]]) {epsilon = 9.99999974E-6 : f32} : (tensor<?x?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
// CHECK: attn.layer_norm %arg0, %[[W]] {epsilon = 1.000000e-03 : f32} : (tensor<?x?x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
func.func @layer_norm(%x: tensor<?x?x4xf32>) -> (tensor<?x?x4xf32>, tensor<?x?x4xf32>) {
  %w = onnx.Constant() {value = dense<2.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %b = onnx.Constant() {value = dense<0.5> : tensor<4xf32>} : () -> tensor<4xf32>
  %none = onnx.NoValue() : () -> none
  %y, %m, %v = onnx.LayerNormalization(%x, %w, %b) : (tensor<?x?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<?x?x4xf32>, none, none)
  %z, %m2, %v2 = onnx.LayerNormalization(%x, %w, %none) {axis = 2 : i64, epsilon = 1.0e-3 : f32} : (tensor<?x?x4xf32>, tensor<4xf32>, none) -> (tensor<?x?x4xf32>, none, none)
  return %y, %z : tensor<?x?x4xf32>, tensor<?x?x4xf32>
}

// -----

// LayerNormalization over [1, 3), with a run-time scale, with a bias of the
// wrong size, or whose mean is used, is left alone.
// CHECK-LABEL: func.func @layer_norm_not_raised
// CHECK-NOT: attn.layer_norm
// CHECK-COUNT-4: onnx.LayerNormalization
func.func @layer_norm_not_raised(%x: tensor<2x8x4xf32>, %s: tensor<4xf32>) -> (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x1xf32>) {
  %w = onnx.Constant() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %b1 = onnx.Constant() {value = dense<1.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %none = onnx.NoValue() : () -> none
  %a, %am, %av = onnx.LayerNormalization(%x, %w, %none) {axis = 1 : i64} : (tensor<2x8x4xf32>, tensor<4xf32>, none) -> (tensor<2x8x4xf32>, none, none)
  %b, %bm, %bv = onnx.LayerNormalization(%x, %s, %none) : (tensor<2x8x4xf32>, tensor<4xf32>, none) -> (tensor<2x8x4xf32>, none, none)
  %c, %cm, %cv = onnx.LayerNormalization(%x, %w, %b1) : (tensor<2x8x4xf32>, tensor<4xf32>, tensor<1xf32>) -> (tensor<2x8x4xf32>, none, none)
  %d, %dm, %dv = onnx.LayerNormalization(%x, %w, %none) : (tensor<2x8x4xf32>, tensor<4xf32>, none) -> (tensor<2x8x4xf32>, tensor<2x8x1xf32>, none)
  return %a, %b, %c, %dm : tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x1xf32>
}

// -----

// LayerNorm written out: (x - mean) / sqrt(var + eps) * w + b.
// CHECK-LABEL: func.func @layer_norm_decomposed
// CHECK: %[[W:.*]] = onnx.Constant() {value = dense<2.000000e+00> : tensor<4xf32>}
// CHECK: %[[B:.*]] = onnx.Constant() {value = dense<5.000000e-01> : tensor<4xf32>}
// CHECK-NOT: onnx.Sub
// CHECK-NOT: onnx.Add
// CHECK: %[[N:.*]] = attn.layer_norm %arg0, %[[W]] bias(%[[B]]) {epsilon = 9.99999974E-6 : f32} : (tensor<?x?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
// CHECK: return %[[N]]
func.func @layer_norm_decomposed(%x: tensor<?x?x4xf32>) -> tensor<?x?x4xf32> {
  %w = onnx.Constant() {value = dense<2.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %b = onnx.Constant() {value = dense<0.5> : tensor<4xf32>} : () -> tensor<4xf32>
  %two = onnx.Constant() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<9.99999974E-6> : tensor<f32>} : () -> tensor<f32>
  %mean = onnx.ReduceMean(%x, %axes) : (tensor<?x?x4xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
  %d = onnx.Sub(%x, %mean) : (tensor<?x?x4xf32>, tensor<?x?x1xf32>) -> tensor<?x?x4xf32>
  %sq = onnx.Pow(%d, %two) : (tensor<?x?x4xf32>, tensor<f32>) -> tensor<?x?x4xf32>
  %var = onnx.ReduceMean(%sq, %axes) : (tensor<?x?x4xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
  %ve = onnx.Add(%var, %eps) : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %std = onnx.Sqrt(%ve) : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %normed = onnx.Div(%d, %std) : (tensor<?x?x4xf32>, tensor<?x?x1xf32>) -> tensor<?x?x4xf32>
  %scaled = onnx.Mul(%normed, %w) : (tensor<?x?x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  %y = onnx.Add(%b, %scaled) : (tensor<4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Without a bias Add, and with an addend that is not a constant [dim] (the
// residual), the decomposed LayerNorm has no bias.
// CHECK-LABEL: func.func @layer_norm_decomposed_no_bias
// CHECK: %[[N:.*]] = attn.layer_norm %arg0, %{{.*}} {epsilon = 9.99999974E-6 : f32} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
// CHECK: onnx.Add(%[[N]], %arg0)
func.func @layer_norm_decomposed_no_bias(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = onnx.Constant() {value = dense<2.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %axes = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<9.99999974E-6> : tensor<f32>} : () -> tensor<f32>
  %mean = onnx.ReduceMean(%x, %axes) : (tensor<2x4xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %d = onnx.Sub(%x, %mean) : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %sq = onnx.Mul(%d, %d) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %var = onnx.ReduceMean(%sq, %axes) : (tensor<2x4xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %ve = onnx.Add(%eps, %var) : (tensor<f32>, tensor<2x1xf32>) -> tensor<2x1xf32>
  %std = onnx.Sqrt(%ve) : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %inv = onnx.Reciprocal(%std) : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %normed = onnx.Mul(%d, %inv) : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %scaled = onnx.Mul(%w, %normed) : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = onnx.Add(%scaled, %x) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Centring over another axis than the normalised one is not a LayerNorm;
// what remains is an exact RMSNorm of the centred value.
// CHECK-LABEL: func.func @centred_other_axis
// CHECK-NOT: attn.layer_norm
// CHECK: %[[D:.*]] = onnx.Sub
// CHECK: attn.rms_norm %[[D]], %{{.*}} {epsilon = 9.99999974E-6 : f32} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
func.func @centred_other_axis(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = onnx.Constant() {value = dense<2.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %axes0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %axes = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %eps = onnx.Constant() {value = dense<9.99999974E-6> : tensor<f32>} : () -> tensor<f32>
  %mean = onnx.ReduceMean(%x, %axes0) : (tensor<2x4xf32>, tensor<1xi64>) -> tensor<1x4xf32>
  %d = onnx.Sub(%x, %mean) : (tensor<2x4xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
  %sq = onnx.Mul(%d, %d) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %var = onnx.ReduceMean(%sq, %axes) : (tensor<2x4xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %ve = onnx.Add(%var, %eps) : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %std = onnx.Sqrt(%ve) : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %normed = onnx.Div(%d, %std) : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %y = onnx.Mul(%normed, %w) : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// onnxruntime's SkipSimplifiedLayerNormalization: the residual sum becomes
// attn.residual_add (replacing input_skip_bias_sum) and the output an
// attn.rms_norm of it with the op's epsilon and gamma.
// CHECK-LABEL: func.func @skip_simplified_sum_used
// CHECK-SAME: (%[[IN:.*]]: tensor<2x8x4xf32>, %[[SK:.*]]: tensor<2x8x4xf32>)
// CHECK: %[[G:.*]] = onnx.Constant() {value = dense<2.000000e+00> : tensor<4xf32>}
// CHECK-NOT: onnx.ms.SkipSimplifiedLayerNormalization
// CHECK: %[[S:.*]] = attn.residual_add %[[IN]], %[[SK]] : (tensor<2x8x4xf32>, tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
// CHECK: %[[N:.*]] = attn.rms_norm %[[S]], %[[G]] {epsilon = 9.99999997E-7 : f32} : (tensor<2x8x4xf32>, tensor<4xf32>) -> tensor<2x8x4xf32>
// CHECK: return %[[N]], %[[S]]
func.func @skip_simplified_sum_used(%in: tensor<2x8x4xf32>, %sk: tensor<2x8x4xf32>) -> (tensor<2x8x4xf32>, tensor<2x8x4xf32>) {
  %g = onnx.Constant() {value = dense<2.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %none = onnx.NoValue() : () -> none
  %y, %m, %v, %s = onnx.ms.SkipSimplifiedLayerNormalization(%in, %sk, %g, %none) {epsilon = 1.0e-6 : f32} : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4xf32>, none) -> (tensor<2x8x4xf32>, none, none, tensor<2x8x4xf32>)
  return %y, %s : tensor<2x8x4xf32>, tensor<2x8x4xf32>
}

// -----

// Without the sum output (the last layer's final norm), only the norm is
// used; the residual_add still feeds it. Dynamic batch/seq are fine, and the
// default epsilon is 1e-5.
// CHECK-LABEL: func.func @skip_simplified_sum_unused
// CHECK-NOT: onnx.ms.SkipSimplifiedLayerNormalization
// CHECK: %[[S:.*]] = attn.residual_add %arg0, %arg1 : (tensor<?x?x4xf16>, tensor<?x?x4xf16>) -> tensor<?x?x4xf16>
// CHECK: %[[N:.*]] = attn.rms_norm %[[S]], %{{.*}} {epsilon = 9.99999974E-6 : f32} : (tensor<?x?x4xf16>, tensor<4xf16>) -> tensor<?x?x4xf16>
// CHECK: return %[[N]] :
func.func @skip_simplified_sum_unused(%in: tensor<?x?x4xf16>, %sk: tensor<?x?x4xf16>) -> tensor<?x?x4xf16> {
  %g = onnx.Constant() {value = dense<1.0> : tensor<4xf16>} : () -> tensor<4xf16>
  %none = onnx.NoValue() : () -> none
  %y, %m, %v, %s = onnx.ms.SkipSimplifiedLayerNormalization(%in, %sk, %g, %none) : (tensor<?x?x4xf16>, tensor<?x?x4xf16>, tensor<4xf16>, none) -> (tensor<?x?x4xf16>, none, none, none)
  return %y : tensor<?x?x4xf16>
}

// -----

// SkipLayerNormalization with beta: attn.layer_norm of the residual sum with
// gamma, beta as its bias, and the op's epsilon; 2-D input too.
// CHECK-LABEL: func.func @skip_layer_norm_beta
// CHECK: %[[G:.*]] = onnx.Constant() {value = dense<2.000000e+00> : tensor<4xf32>}
// CHECK: %[[B:.*]] = onnx.Constant() {value = dense<5.000000e-01> : tensor<4xf32>}
// CHECK-NOT: onnx.ms.SkipLayerNormalization
// CHECK: %[[S:.*]] = attn.residual_add %arg0, %arg1 : (tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
// CHECK: %[[N:.*]] = attn.layer_norm %[[S]], %[[G]] bias(%[[B]]) {epsilon = 9.99999996E-13 : f32} : (tensor<?x?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
// CHECK: %[[S2:.*]] = attn.residual_add %arg2, %arg2 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
// CHECK: %[[N2:.*]] = attn.layer_norm %[[S2]], %[[G]] {epsilon = 9.99999974E-6 : f32} : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
// CHECK: return %[[N]], %[[S]], %[[N2]]
func.func @skip_layer_norm_beta(%in: tensor<?x?x4xf32>, %sk: tensor<?x?x4xf32>, %t: tensor<3x4xf32>) -> (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<3x4xf32>) {
  %g = onnx.Constant() {value = dense<2.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %b = onnx.Constant() {value = dense<0.5> : tensor<4xf32>} : () -> tensor<4xf32>
  %none = onnx.NoValue() : () -> none
  %y, %m, %v, %s = onnx.ms.SkipLayerNormalization(%in, %sk, %g, %b, %none) {epsilon = 1.0e-12 : f32} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<4xf32>, tensor<4xf32>, none) -> (tensor<?x?x4xf32>, none, none, tensor<?x?x4xf32>)
  %y2, %m2, %v2, %s2 = onnx.ms.SkipLayerNormalization(%t, %t, %g, %none, %none) : (tensor<3x4xf32>, tensor<3x4xf32>, tensor<4xf32>, none, none) -> (tensor<3x4xf32>, none, none, none)
  return %y, %s, %y2 : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<3x4xf32>
}

// -----

// Skip norms stay when their mean or inv_std_var is used, when a bias is
// added to the sum (no attn op spells a bias add on the residual stream),
// when gamma is computed at run time or of the wrong size, when beta is not
// a constant, or when skip broadcasts.
// CHECK-LABEL: func.func @skip_norm_not_raised
// CHECK-NOT: attn.residual_add
// CHECK-NOT: attn.rms_norm
// CHECK-NOT: attn.layer_norm
// CHECK-COUNT-4: onnx.ms.SkipSimplifiedLayerNormalization
// CHECK-COUNT-3: onnx.ms.SkipLayerNormalization
// CHECK-NOT: attn.
func.func @skip_norm_not_raised(%in: tensor<2x8x4xf32>, %sk: tensor<2x8x4xf32>, %gs: tensor<4xf32>, %sk1: tensor<4xf32>) -> (tensor<2x8x1xf32>, tensor<2x8x1xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>) {
  %g = onnx.Constant() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %g8 = onnx.Constant() {value = dense<1.0> : tensor<8xf32>} : () -> tensor<8xf32>
  %bias = onnx.Constant() {value = dense<0.25> : tensor<4xf32>} : () -> tensor<4xf32>
  %none = onnx.NoValue() : () -> none
  %a, %am, %av, %as = onnx.ms.SkipSimplifiedLayerNormalization(%in, %sk, %g, %none) : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4xf32>, none) -> (tensor<2x8x4xf32>, none, tensor<2x8x1xf32>, none)
  %b, %bm, %bv, %bs = onnx.ms.SkipSimplifiedLayerNormalization(%in, %sk, %g, %bias) : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x8x4xf32>, none, none, tensor<2x8x4xf32>)
  %c, %cm, %cv, %cs = onnx.ms.SkipSimplifiedLayerNormalization(%in, %sk, %gs, %none) : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4xf32>, none) -> (tensor<2x8x4xf32>, none, none, none)
  %d, %dm, %dv, %ds = onnx.ms.SkipSimplifiedLayerNormalization(%in, %sk1, %g, %none) : (tensor<2x8x4xf32>, tensor<4xf32>, tensor<4xf32>, none) -> (tensor<2x8x4xf32>, none, none, none)
  %e, %em, %ev, %es = onnx.ms.SkipLayerNormalization(%in, %sk, %g, %none, %none) : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4xf32>, none, none) -> (tensor<2x8x4xf32>, tensor<2x8x1xf32>, none, none)
  %f, %fm, %fv, %fs = onnx.ms.SkipLayerNormalization(%in, %sk, %g8, %none, %none) : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<8xf32>, none, none) -> (tensor<2x8x4xf32>, none, none, none)
  %h, %hm, %hv, %hs = onnx.ms.SkipLayerNormalization(%in, %sk, %g, %gs, %none) : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<4xf32>, tensor<4xf32>, none) -> (tensor<2x8x4xf32>, none, none, none)
  return %av, %em, %b, %bs, %c, %d, %f, %h : tensor<2x8x1xf32>, tensor<2x8x1xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>
}
