// RUN: attnc-opt %s -split-input-file -attn-fuse-residual-norm | FileCheck %s

// The pre-norm decoder: h1 = h0 + attention; n = rms_norm(h1) feeds the MLP
// and h1 goes on in the residual stream. One fused op gives both.
// CHECK-LABEL: func.func @pre_norm
// CHECK: %[[SUM:.*]], %[[OUT:.*]] = attn.residual_add_rms_norm %arg0, %arg1, %arg2 {epsilon = 9.99999997E-7 : f32, weight_offset = 1.000000e+00 : f32} : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>)
// CHECK-NOT: attn.residual_add %
// CHECK-NOT: attn.rms_norm
// CHECK: return %[[SUM]], %[[OUT]]
func.func @pre_norm(%h0: tensor<?x64xf32>, %attn: tensor<?x64xf32>, %w: tensor<64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %h1 = attn.residual_add %h0, %attn : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %n = attn.rms_norm %h1, %w {epsilon = 1.0e-6 : f32, weight_offset = 1.0 : f32} : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %h1, %n : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// Must not fire: a scaled add (Granite's residual_multiplier) has no fused
// kernel; a norm of something that is not a residual add; a LayerNorm.
// CHECK-LABEL: func.func @not_fused
// CHECK-NOT: attn.residual_add_rms_norm
// CHECK: attn.residual_add %arg0, %arg1 {scale = 2.200000e-01 : f32}
// CHECK: attn.rms_norm
// CHECK: attn.rms_norm %arg1
// CHECK: attn.layer_norm
func.func @not_fused(%h0: tensor<?x64xf32>, %u: tensor<?x64xf32>, %w: tensor<64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>) {
  %h1 = attn.residual_add %h0, %u {scale = 0.22 : f32} : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %n1 = attn.rms_norm %h1, %w {epsilon = 1.0e-6 : f32} : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %n2 = attn.rms_norm %u, %w {epsilon = 1.0e-6 : f32} : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %h2 = attn.residual_add %h0, %u : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %n3 = attn.layer_norm %h2, %w {epsilon = 1.0e-5 : f32} : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %n1, %n2, %n3, %h2 : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// Must not fire: the norm's weight is computed after the add (it would not
// exist where the fused op goes).
// CHECK-LABEL: func.func @weight_after_add
// CHECK-NOT: attn.residual_add_rms_norm
func.func @weight_after_add(%h0: tensor<?x64xf32>, %u: tensor<?x64xf32>, %w0: tensor<64xf32>) -> tensor<?x64xf32> {
  %h1 = attn.residual_add %h0, %u : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %w = attn.logit_scale %w0 {scale = 2.0 : f32} : (tensor<64xf32>) -> tensor<64xf32>
  %n = attn.rms_norm %h1, %w {epsilon = 1.0e-6 : f32} : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %n : tensor<?x64xf32>
}
