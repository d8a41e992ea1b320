// RUN: attnc-opt %s -split-input-file -attn-fold-weight-transforms | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-fold-weight-transforms | attnc-opt -split-input-file | FileCheck %s

// Concatenation along axis 0 (out_in weights of a fused projection): the rows
// of the first input, then the rows of the second. The inputs, now unused,
// are gone.
// CHECK-LABEL: func.func @concat_rows
// CHECK-NOT: attn.weight_concat
// CHECK: %[[W:.*]] = onnx.Constant() {value = dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00], [5.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>} : () -> tensor<3x2xf32>
// CHECK-NEXT: %[[Y:.*]] = attn.linear %arg0, %[[W]] {weight_layout = #attn<weight_layout out_in>} : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
// CHECK-NEXT: return %[[Y]]
func.func @concat_rows(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  %a = onnx.Constant() {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %b = onnx.Constant() {value = dense<[[5.0, 6.0]]> : tensor<1x2xf32>} : () -> tensor<1x2xf32>
  %w = attn.weight_concat %a, %b {axis = 0 : i64} : (tensor<2x2xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  %y = attn.linear %x, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

// Concatenation along axis 1 (in_out weights): each row is the first input's
// row followed by the second's. A splat input counts as its full tensor; an
// input still used elsewhere stays.
// CHECK-LABEL: func.func @concat_columns
// CHECK: %[[A:.*]] = onnx.Constant() {value = dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>}
// CHECK-NEXT: %[[W:.*]] = onnx.Constant() {value = dense<{{\[}}[1.000000e+00, 2.000000e+00, 7.000000e+00, 7.000000e+00, 7.000000e+00], [3.000000e+00, 4.000000e+00, 7.000000e+00, 7.000000e+00, 7.000000e+00]]> : tensor<2x5xf32>}
// CHECK-NOT: attn.weight_concat
// CHECK: return %[[W]], %[[A]]
func.func @concat_columns() -> (tensor<2x5xf32>, tensor<2x2xf32>) {
  %a = onnx.Constant() {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %b = onnx.Constant() {value = dense<7.0> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %w = attn.weight_concat %a, %b {axis = 1 : i64} : (tensor<2x2xf32>, tensor<2x3xf32>) -> tensor<2x5xf32>
  return %w, %a : tensor<2x5xf32>, tensor<2x2xf32>
}

// -----

// Nested transforms fold inside out: concat(concat(a, b, axis 1), c, axis 0),
// on f16 so two-byte elements are moved whole. The three-input bias concat
// is folded too.
// CHECK-LABEL: func.func @nested
// CHECK-NOT: attn.weight_concat
// CHECK: %[[W:.*]] = onnx.Constant() {value = dense<{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00], [4.000000e+00, 5.000000e+00, 6.000000e+00], [7.000000e+00, 8.000000e+00, 9.000000e+00]]> : tensor<3x3xf16>}
// CHECK: %[[B:.*]] = onnx.Constant() {value = dense<[5.000000e-01, 1.500000e+00, 2.500000e+00]> : tensor<3xf16>}
// CHECK-NOT: attn.weight_concat
// CHECK: return %[[W]], %[[B]]
func.func @nested() -> (tensor<3x3xf16>, tensor<3xf16>) {
  %a = onnx.Constant() {value = dense<[[1.0, 2.0], [4.0, 5.0]]> : tensor<2x2xf16>} : () -> tensor<2x2xf16>
  %b = onnx.Constant() {value = dense<[[3.0], [6.0]]> : tensor<2x1xf16>} : () -> tensor<2x1xf16>
  %c = onnx.Constant() {value = dense<[[7.0, 8.0, 9.0]]> : tensor<1x3xf16>} : () -> tensor<1x3xf16>
  %ab = attn.weight_concat %a, %b {axis = 1 : i64} : (tensor<2x2xf16>, tensor<2x1xf16>) -> tensor<2x3xf16>
  %w = attn.weight_concat %ab, %c {axis = 0 : i64} : (tensor<2x3xf16>, tensor<1x3xf16>) -> tensor<3x3xf16>
  %b0 = onnx.Constant() {value = dense<[0.5]> : tensor<1xf16>} : () -> tensor<1xf16>
  %b1 = onnx.Constant() {value = dense<[1.5]> : tensor<1xf16>} : () -> tensor<1xf16>
  %b2 = onnx.Constant() {value = dense<[2.5]> : tensor<1xf16>} : () -> tensor<1xf16>
  %bias = attn.weight_concat %b0, %b1, %b2 {axis = 0 : i64} : (tensor<1xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<3xf16>
  return %w, %bias : tensor<3x3xf16>, tensor<3xf16>
}

// -----

// A weight mapped as a resource blob (how the importer keeps large
// initializers) is read from the blob: [[1, 2], [3, 4]] stacked on [[5, 6]].
// CHECK-LABEL: func.func @resource_blob
// CHECK: onnx.Constant() {value = dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00], [5.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>}
// CHECK-NOT: attn.weight_concat
func.func @resource_blob() -> tensor<3x2xf32> {
  %a = onnx.Constant() {value = dense_resource<w_a> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %b = onnx.Constant() {value = dense<[[5.0, 6.0]]> : tensor<1x2xf32>} : () -> tensor<1x2xf32>
  %w = attn.weight_concat %a, %b {axis = 0 : i64} : (tensor<2x2xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  return %w : tensor<3x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w_a: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// Must not fire: a transform over a function argument has no bytes to
// evaluate; it and its constant input stay.
// CHECK-LABEL: func.func @not_constant
// CHECK: %[[A:.*]] = onnx.Constant() {value = dense<1.000000e+00> : tensor<2x2xf32>}
// CHECK: %[[W:.*]] = attn.weight_concat %[[A]], %arg0 {axis = 0 : i64} : (tensor<2x2xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
// CHECK: return %[[W]]
func.func @not_constant(%b: tensor<1x2xf32>) -> tensor<3x2xf32> {
  %a = onnx.Constant() {value = dense<1.0> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %w = attn.weight_concat %a, %b {axis = 0 : i64} : (tensor<2x2xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  return %w : tensor<3x2xf32>
}

// -----

// attn.weight_quantize folds into the packer's bytes (runtime/pack
// quantizeWeight), one constant per result. 8-bit: row 0 has max |w| = 127
// (scale 1; 0.5 and 2.5 round to even), row 1 is zero (scale 1, q 0).
// CHECK-LABEL: func.func @quantize_int8
// CHECK-DAG: %[[V:.*]] = onnx.Constant() {value = dense<{{\[}}[0, 2, 2, 127], [0, 0, 0, 0]]> : tensor<2x4xi8>}
// CHECK-DAG: %[[S:.*]] = onnx.Constant() {value = dense<1.000000e+00> : tensor<2xf32>}
// CHECK-NOT: attn.weight_quantize
// CHECK: attn.quantized_linear %arg0, %[[V]], %[[S]]
func.func @quantize_int8(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %w = onnx.Constant() {value = dense<[[0.5, 1.5, 2.5, 127.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<2x4xf32>} : () -> tensor<2x4xf32>
  %v, %s = attn.weight_quantize %w {bits = 8 : i64, group_size = 0 : i64, weight_layout = #attn<weight_layout out_in>} : (tensor<2x4xf32>) -> (tensor<2x4xi8>, tensor<2xf32>)
  %y = attn.quantized_linear %x, %v, %s {bits = 8 : i64, group_size = 0 : i64} : (tensor<?x4xf32>, tensor<2x4xi8>, tensor<2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// 4-bit asymmetric of an in_out weight (transposed to [N, K] first): groups
// of 4, [0, 1.5, 3, 15] -> scale 1, zero point 0, nibbles 0, 2, 3, 15 (two
// a byte, the first in the low nibble); [-15, -7.5, 0, 0] -> scale 1, zero
// point 15, nibbles 0, 7, 15, 15.
// CHECK-LABEL: func.func @quantize_int4_asymmetric
// CHECK-DAG: onnx.Constant() {value = dense<{{\[}}[32, 243], [112, 255]]> : tensor<2x2xui8>}
// CHECK-DAG: onnx.Constant() {value = dense<1.000000e+00> : tensor<2x1xf32>}
// CHECK-DAG: onnx.Constant() {value = dense<{{\[}}[0], [15]]> : tensor<2x1xui8>}
func.func @quantize_int4_asymmetric() -> (tensor<2x2xui8>, tensor<2x1xf32>, tensor<2x1xui8>) {
  %w = onnx.Constant() {value = dense<[[0.0, -15.0], [1.5, -7.5], [3.0, 0.0], [15.0, 0.0]]> : tensor<4x2xf32>} : () -> tensor<4x2xf32>
  %v, %s, %z = attn.weight_quantize %w {asymmetric, bits = 4 : i64, group_size = 4 : i64, weight_layout = #attn<weight_layout in_out>} : (tensor<4x2xf32>) -> (tensor<2x2xui8>, tensor<2x1xf32>, tensor<2x1xui8>)
  return %v, %s, %z : tensor<2x2xui8>, tensor<2x1xf32>, tensor<2x1xui8>
}

// -----

// The pre-quantized (MatMulNBits) transforms: weight_reshape keeps the bytes
// under the new shape; weight_unpack_nibbles gives one value a byte, the low
// nibble first, each row from its own ceil(cols / 2) bytes (0x21 0x03: 1 2 3).
// CHECK-LABEL: func.func @nbits_transforms
// CHECK-NOT: attn.weight_reshape
// CHECK-NOT: attn.weight_unpack_nibbles
// CHECK-DAG: onnx.Constant() {value = dense<{{\[}}[1, 2], [3, 4]]> : tensor<2x2xui8>}
// CHECK-DAG: onnx.Constant() {value = dense<{{\[}}[1, 2, 3], [4, 5, 6]]> : tensor<2x3xui8>}
// CHECK-NOT: tensor<4xui8>
func.func @nbits_transforms() -> (tensor<2x2xui8>, tensor<2x3xui8>) {
  %b = onnx.Constant() {value = dense<[[[1, 2]], [[3, 4]]]> : tensor<2x1x2xui8>} : () -> tensor<2x1x2xui8>
  %r = attn.weight_reshape %b : (tensor<2x1x2xui8>) -> tensor<2x2xui8>
  %z = onnx.Constant() {value = dense<[33, 3, 84, 6]> : tensor<4xui8>} : () -> tensor<4xui8>
  %u = attn.weight_unpack_nibbles %z : (tensor<4xui8>) -> tensor<2x3xui8>
  return %r, %u : tensor<2x2xui8>, tensor<2x3xui8>
}

// -----

// The DequantizeLinear transforms: weight_transpose swaps a 2-D weight (i4
// held one a byte), weight_widen_nibbles gives unsigned nibbles (int4 q ->
// q + 8, uint4 as is), weight_pack_nibbles packs a row two a byte (even
// column low: 9 10 -> 0xA9 = 169; the first row 1 2 -8 7 is 9 10 0 15),
// weight_cast converts f16 to f32.
// CHECK-LABEL: func.func @dq_transforms
// CHECK-NOT: attn.weight_
// CHECK-DAG: onnx.Constant() {value = dense<{{\[}}[169, 240], [110, 8]]> : tensor<2x2xui8>}
// CHECK-DAG: onnx.Constant() {value = dense<{{\[}}[1, 7], [2, 0]]> : tensor<2x2xui8>}
// CHECK-DAG: onnx.Constant() {value = dense<[5.000000e-01, 1.500000e+00]> : tensor<2xf32>}
func.func @dq_transforms() -> (tensor<2x2xui8>, tensor<2x2xui8>, tensor<2xf32>) {
  %q = onnx.Constant() {value = dense<[[1, 6], [2, -2], [-8, 0], [7, -8]]> : tensor<4x2xi4>} : () -> tensor<4x2xi4>
  %t = attn.weight_transpose %q : (tensor<4x2xi4>) -> tensor<2x4xi4>
  %w = attn.weight_widen_nibbles %t : (tensor<2x4xi4>) -> tensor<2x4xui8>
  %p = attn.weight_pack_nibbles %w : (tensor<2x4xui8>) -> tensor<2x2xui8>
  %z = onnx.Constant() {value = dense<[[1, 2], [7, 0]]> : tensor<2x2xui4>} : () -> tensor<2x2xui4>
  %zt = attn.weight_transpose %z : (tensor<2x2xui4>) -> tensor<2x2xui4>
  %zw = attn.weight_widen_nibbles %zt : (tensor<2x2xui4>) -> tensor<2x2xui8>
  %s = onnx.Constant() {value = dense<[0.5, 1.5]> : tensor<2xf16>} : () -> tensor<2xf16>
  %c = attn.weight_cast %s : (tensor<2xf16>) -> tensor<2xf32>
  return %p, %zw, %c : tensor<2x2xui8>, tensor<2x2xui8>, tensor<2xf32>
}
