// RUN: attnc-opt %s -split-input-file -attn-quantize-weights='scheme=w4g64' -verify-diagnostics
// Asking for a quantized embedding is refused (no such kernel), naming the op:
// RUN: not attnc-opt %s -split-input-file -attn-quantize-weights='scheme=w8 include-embedding=true' 2>&1 | FileCheck %s --check-prefix=EMBED
// EMBED: attn-quantize-weights-invalid.mlir:[[# @LINE + 20]]:8: error: cannot quantize the embedding table: attnc has no quantized embedding kernel (leave include-embedding off)
// An unknown scheme is an error listing the supported ones:
// RUN: not attnc-opt %s -split-input-file -attn-quantize-weights='scheme=w3' 2>&1 | FileCheck %s --check-prefix=SCHEME
// SCHEME: error: unknown quantization scheme 'w3' (supported: w8, w8g128, w8g64, w8g32, w8g128a, w8g64a, w8g32a, w4g128, w4g64, w4g32, w4g128a, w4g64a, w4g32a)

// A group size that does not divide a linear's input dimension is an error
// at that linear (its location names the ONNX node).
func.func @group_does_not_divide(%x: tensor<?x96xf32>) -> tensor<?x16xf32> {
  %w = onnx.Constant() {value = dense<0.5> : tensor<16x96xf32>} : () -> tensor<16x96xf32>
  // expected-error @+1 {{cannot quantize with scheme w4g64: the group size 64 does not divide the input dimension 96 of this linear}}
  %y = attn.linear %x, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<?x96xf32>, tensor<16x96xf32>) -> tensor<?x16xf32>
  %r = onnx.Add(%y, %y) : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}

// -----

// The embedding table: quantized only when asked, and asking is refused.
func.func @embedding(%ids: tensor<?x?xi64>) -> tensor<?x?x64xf32> {
  %table = onnx.Constant() {value = dense<0.25> : tensor<32x64xf32>} : () -> tensor<32x64xf32>
  %h = attn.embedding %table, %ids : (tensor<32x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  %r = onnx.Add(%h, %h) : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %r : tensor<?x?x64xf32>
}
