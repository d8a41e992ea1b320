// RUN: attnc-opt %s -split-input-file -attn-quantize-weights='scheme=w8' | FileCheck %s --check-prefix=W8
// RUN: attnc-opt %s -split-input-file -attn-quantize-weights='scheme=w4g32' | FileCheck %s --check-prefix=W4
// RUN: attnc-opt %s -split-input-file -attn-quantize-weights='scheme=w4g32a' | FileCheck %s --check-prefix=W4A
// RUN: attnc-opt %s -split-input-file -attn-quantize-weights='scheme=w8 include-lm-head=true' | FileCheck %s --check-prefix=HEAD
// RUN: attnc-opt %s -split-input-file -attn-quantize-weights='scheme=w8g32' | FileCheck %s --check-prefix=W8G
// RUN: attnc-opt %s -split-input-file -attn-quantize-weights='scheme=w8g32a' | FileCheck %s --check-prefix=W8GA
// Quantizing twice changes nothing: quantized linears are left alone.
// RUN: attnc-opt %s -split-input-file -attn-quantize-weights='scheme=w4g32' | attnc-opt -split-input-file -attn-quantize-weights='scheme=w8' | FileCheck %s --check-prefix=W4

// An out_in linear: 8-bit values [N, K] with one scale per output channel;
// 4-bit values [N, K / 2] with a scale (and zero point) per group of 32.
// W8-LABEL: func.func @out_in
// W8: %[[W:.*]] = onnx.Constant() {value = dense<5.000000e-01> : tensor<16x64xf32>}
// W8: %[[V:.*]], %[[S:.*]] = attn.weight_quantize %[[W]] {bits = 8 : i64, group_size = 0 : i64, weight_layout = #attn<weight_layout out_in>} : (tensor<16x64xf32>) -> (tensor<16x64xi8>, tensor<16xf32>)
// W8: %[[Y:.*]] = attn.quantized_linear %arg0, %[[V]], %[[S]] {bits = 8 : i64, group_size = 0 : i64} : (tensor<?x64xf32>, tensor<16x64xi8>, tensor<16xf32>) -> tensor<?x16xf32>
// W8-NOT: attn.linear
// W8: onnx.Add(%[[Y]], %[[Y]])
// W4-LABEL: func.func @out_in
// W4: %[[V:.*]], %[[S:.*]] = attn.weight_quantize %{{.*}} {bits = 4 : i64, group_size = 32 : i64, weight_layout = #attn<weight_layout out_in>} : (tensor<16x64xf32>) -> (tensor<16x32xui8>, tensor<16x2xf32>)
// W4: attn.quantized_linear %arg0, %[[V]], %[[S]] {bits = 4 : i64, group_size = 32 : i64} : (tensor<?x64xf32>, tensor<16x32xui8>, tensor<16x2xf32>) -> tensor<?x16xf32>
// W4A-LABEL: func.func @out_in
// W4A: %[[V:.*]], %[[S:.*]], %[[Z:.*]] = attn.weight_quantize %{{.*}} {asymmetric, bits = 4 : i64, group_size = 32 : i64, weight_layout = #attn<weight_layout out_in>} : (tensor<16x64xf32>) -> (tensor<16x32xui8>, tensor<16x2xf32>, tensor<16x2xui8>)
// W4A: attn.quantized_linear %arg0, %[[V]], %[[S]] zeros(%[[Z]]) {bits = 4 : i64, group_size = 32 : i64} : (tensor<?x64xf32>, tensor<16x32xui8>, tensor<16x2xf32>, tensor<16x2xui8>) -> tensor<?x16xf32>
// 8-bit groups: int8 values [N, K], or uint8 with a zero point per group.
// W8G-LABEL: func.func @out_in
// W8G: %[[V:.*]], %[[S:.*]] = attn.weight_quantize %{{.*}} {bits = 8 : i64, group_size = 32 : i64, weight_layout = #attn<weight_layout out_in>} : (tensor<16x64xf32>) -> (tensor<16x64xi8>, tensor<16x2xf32>)
// W8G: attn.quantized_linear %arg0, %[[V]], %[[S]] {bits = 8 : i64, group_size = 32 : i64} : (tensor<?x64xf32>, tensor<16x64xi8>, tensor<16x2xf32>) -> tensor<?x16xf32>
// W8GA-LABEL: func.func @out_in
// W8GA: %[[V:.*]], %[[S:.*]], %[[Z:.*]] = attn.weight_quantize %{{.*}} {asymmetric, bits = 8 : i64, group_size = 32 : i64, weight_layout = #attn<weight_layout out_in>} : (tensor<16x64xf32>) -> (tensor<16x64xui8>, tensor<16x2xf32>, tensor<16x2xui8>)
// W8GA: attn.quantized_linear %arg0, %[[V]], %[[S]] zeros(%[[Z]]) {bits = 8 : i64, group_size = 32 : i64} : (tensor<?x64xf32>, tensor<16x64xui8>, tensor<16x2xf32>, tensor<16x2xui8>) -> tensor<?x16xf32>
func.func @out_in(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %w = onnx.Constant() {value = dense<0.5> : tensor<16x64xf32>} : () -> tensor<16x64xf32>
  %y = attn.linear %x, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<?x64xf32>, tensor<16x64xf32>) -> tensor<?x16xf32>
  %r = onnx.Add(%y, %y) : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}

// -----

// Fused projections: an in_out attn.weight_concat (gate/up, f16) with a bias
// is quantized as one [N, K] weight (the transform transposes it); the bias
// stays in the model's type.
// W4-LABEL: func.func @fused_in_out_bias
// W4: %[[C:.*]] = attn.weight_concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<64x32xf16>, tensor<64x32xf16>) -> tensor<64x64xf16>
// W4: %[[B:.*]] = attn.weight_concat
// W4: %[[V:.*]], %[[S:.*]] = attn.weight_quantize %[[C]] {bits = 4 : i64, group_size = 32 : i64, weight_layout = #attn<weight_layout in_out>} : (tensor<64x64xf16>) -> (tensor<64x32xui8>, tensor<64x2xf32>)
// W4: attn.quantized_linear %arg0, %[[V]], %[[S]] bias(%[[B]]) {bits = 4 : i64, group_size = 32 : i64} : (tensor<?x64xf16>, tensor<64x32xui8>, tensor<64x2xf32>, tensor<64xf16>) -> tensor<?x64xf16>
func.func @fused_in_out_bias(%x: tensor<?x64xf16>) -> tensor<?x64xf16> {
  %wg = onnx.Constant() {value = dense<1.0> : tensor<64x32xf16>} : () -> tensor<64x32xf16>
  %wu = onnx.Constant() {value = dense<2.0> : tensor<64x32xf16>} : () -> tensor<64x32xf16>
  %bg = onnx.Constant() {value = dense<0.5> : tensor<32xf16>} : () -> tensor<32xf16>
  %w = attn.weight_concat %wg, %wu {axis = 1 : i64} : (tensor<64x32xf16>, tensor<64x32xf16>) -> tensor<64x64xf16>
  %b = attn.weight_concat %bg, %bg {axis = 0 : i64} : (tensor<32xf16>, tensor<32xf16>) -> tensor<64xf16>
  %y = attn.linear %x, %w bias(%b) {weight_layout = #attn<weight_layout in_out>} : (tensor<?x64xf16>, tensor<64x64xf16>, tensor<64xf16>) -> tensor<?x64xf16>
  %r = onnx.Add(%y, %y) : (tensor<?x64xf16>, tensor<?x64xf16>) -> tensor<?x64xf16>
  return %r : tensor<?x64xf16>
}

// -----

// Must not fire on the lm_head (the linear whose result, through the final
// softcap, is returned) nor on the embedding table, unless include-lm-head.
// W8-LABEL: func.func @lm_head_and_embedding
// W8: attn.embedding %{{.*}}, %arg0 : (tensor<64x32xf32>, tensor<?x?xi64>) -> tensor<?x?x32xf32>
// W8: attn.weight_quantize {{.*}} : (tensor<32x32xf32>)
// W8: attn.quantized_linear
// W8: attn.linear %{{.*}}, %{{.*}} {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x32xf32>, tensor<64x32xf32>) -> tensor<?x?x64xf32>
// W8: attn.logit_softcap
// HEAD-LABEL: func.func @lm_head_and_embedding
// HEAD: attn.embedding %{{.*}}, %arg0 : (tensor<64x32xf32>, tensor<?x?xi64>) -> tensor<?x?x32xf32>
// HEAD-NOT: attn.linear
// HEAD: attn.weight_quantize %{{.*}} {bits = 8 : i64, group_size = 0 : i64, weight_layout = #attn<weight_layout out_in>} : (tensor<64x32xf32>) -> (tensor<64x32xi8>, tensor<64xf32>)
// HEAD: attn.quantized_linear {{.*}} -> tensor<?x?x64xf32>
// HEAD: attn.logit_softcap
func.func @lm_head_and_embedding(%ids: tensor<?x?xi64>) -> tensor<?x?x64xf32> {
  %table = onnx.Constant() {value = dense<0.25> : tensor<64x32xf32>} : () -> tensor<64x32xf32>
  %wo = onnx.Constant() {value = dense<0.5> : tensor<32x32xf32>} : () -> tensor<32x32xf32>
  %h = attn.embedding %table, %ids : (tensor<64x32xf32>, tensor<?x?xi64>) -> tensor<?x?x32xf32>
  %o = attn.linear %h, %wo {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
  %logits = attn.linear %o, %table {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x32xf32>, tensor<64x32xf32>) -> tensor<?x?x64xf32>
  %capped = attn.logit_softcap %logits {cap = 30.0 : f32} : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %capped : tensor<?x?x64xf32>
}

// -----

// Must not fire on a weight that is no constant (here an argument) nor on an
// f64 weight (no quantizer reads it).
// W8-LABEL: func.func @not_constant
// W8-NOT: attn.weight_quantize
// W8: attn.linear %arg0, %arg1
// W8: attn.linear
func.func @not_constant(%x: tensor<?x64xf32>, %w: tensor<16x64xf32>, %d: tensor<?x64xf64>) -> (tensor<?x16xf32>, tensor<?x16xf64>) {
  %y = attn.linear %x, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<?x64xf32>, tensor<16x64xf32>) -> tensor<?x16xf32>
  %wd = onnx.Constant() {value = dense<0.5> : tensor<16x64xf64>} : () -> tensor<16x64xf64>
  %yd = attn.linear %d, %wd {weight_layout = #attn<weight_layout out_in>} : (tensor<?x64xf64>, tensor<16x64xf64>) -> tensor<?x16xf64>
  %r = onnx.Add(%y, %y) : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return %r, %yd : tensor<?x16xf32>, tensor<?x16xf64>
}

// -----

// Must not fire on a linear that is already quantized.
// W8-LABEL: func.func @already_quantized
// W8-NOT: attn.weight_quantize
// W8: attn.quantized_linear %arg0, %arg1, %arg2 {bits = 4 : i64, group_size = 32 : i64}
func.func @already_quantized(%x: tensor<?x64xf32>, %v: tensor<16x32xui8>, %s: tensor<16x2xf32>) -> tensor<?x16xf32> {
  %y = attn.quantized_linear %x, %v, %s {bits = 4 : i64, group_size = 32 : i64} : (tensor<?x64xf32>, tensor<16x32xui8>, tensor<16x2xf32>) -> tensor<?x16xf32>
  %r = onnx.Add(%y, %y) : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}
