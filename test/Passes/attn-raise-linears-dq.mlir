// RUN: attnc-opt %s -split-input-file -attn-raise-linears | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-raise-linears | attnc-opt -split-input-file | FileCheck %s

// MatMul(A, DequantizeLinear(int4 codes [K, N], scale [K / 32, N], block_size
// 32 on axis 0)) is the symmetric 4-bit quantized_linear: the codes are
// transposed to [N, K] rows, offset to unsigned nibbles (q + 8) and packed two
// a byte; the scales transposed to [N, K / 32]. All weight transforms.
// CHECK-LABEL: func.func @int4_symmetric
// CHECK-DAG: %[[Q:.*]] = onnx.Constant() {value = dense<-3> : tensor<64x16xi4>}
// CHECK-DAG: %[[S:.*]] = onnx.Constant() {value = dense<5.000000e-01> : tensor<2x16xf32>}
// CHECK-DAG: %[[QT:.*]] = attn.weight_transpose %[[Q]] : (tensor<64x16xi4>) -> tensor<16x64xi4>
// CHECK-DAG: %[[QW:.*]] = attn.weight_widen_nibbles %[[QT]] : (tensor<16x64xi4>) -> tensor<16x64xui8>
// CHECK-DAG: %[[V:.*]] = attn.weight_pack_nibbles %[[QW]] : (tensor<16x64xui8>) -> tensor<16x32xui8>
// CHECK-DAG: %[[ST:.*]] = attn.weight_transpose %[[S]] : (tensor<2x16xf32>) -> tensor<16x2xf32>
// CHECK-NOT: onnx.DequantizeLinear
// CHECK-NOT: onnx.MatMul
// CHECK: %[[Y:.*]] = attn.quantized_linear %arg0, %[[V]], %[[ST]] {bits = 4 : i64, group_size = 32 : i64} : (tensor<?x?x64xf32>, tensor<16x32xui8>, tensor<16x2xf32>) -> tensor<?x?x16xf32>
// CHECK: return %[[Y]]
func.func @int4_symmetric(%x: tensor<?x?x64xf32>) -> tensor<?x?x16xf32> {
  %none = onnx.NoValue() : () -> none
  %q = onnx.Constant() {value = dense<-3> : tensor<64x16xi4>} : () -> tensor<64x16xi4>
  %s = onnx.Constant() {value = dense<0.5> : tensor<2x16xf32>} : () -> tensor<2x16xf32>
  %w = onnx.DequantizeLinear(%q, %s, %none) {axis = 0 : i64, block_size = 32 : i64} : (tensor<64x16xi4>, tensor<2x16xf32>, none) -> tensor<64x16xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x?x64xf32>, tensor<64x16xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

// uint4 codes with uint4 zero points [K / 64, N]: the asymmetric scheme, the
// zero points transposed and widened to one a byte; a constant bias Add after
// it is the linear's bias.
// CHECK-LABEL: func.func @uint4_zero_points_bias
// CHECK-DAG: %[[Z:.*]] = onnx.Constant() {value = dense<7> : tensor<2x8xui4>}
// CHECK-DAG: %[[BIAS:.*]] = onnx.Constant() {value = dense<1.000000e+00> : tensor<8xf32>}
// CHECK-DAG: %[[ZT:.*]] = attn.weight_transpose %[[Z]] : (tensor<2x8xui4>) -> tensor<8x2xui4>
// CHECK-DAG: %[[ZW:.*]] = attn.weight_widen_nibbles %[[ZT]] : (tensor<8x2xui4>) -> tensor<8x2xui8>
// CHECK-NOT: onnx.Add
// CHECK: attn.quantized_linear %arg0, %{{.*}}, %{{.*}} zeros(%[[ZW]]) bias(%[[BIAS]]) {bits = 4 : i64, group_size = 64 : i64} : (tensor<?x128xf32>, tensor<8x64xui8>, tensor<8x2xf32>, tensor<8x2xui8>, tensor<8xf32>) -> tensor<?x8xf32>
func.func @uint4_zero_points_bias(%x: tensor<?x128xf32>) -> tensor<?x8xf32> {
  %q = onnx.Constant() {value = dense<9> : tensor<128x8xui4>} : () -> tensor<128x8xui4>
  %s = onnx.Constant() {value = dense<0.25> : tensor<2x8xf32>} : () -> tensor<2x8xf32>
  %z = onnx.Constant() {value = dense<7> : tensor<2x8xui4>} : () -> tensor<2x8xui4>
  %bias = onnx.Constant() {value = dense<1.0> : tensor<8xf32>} : () -> tensor<8xf32>
  %w = onnx.DequantizeLinear(%q, %s, %z) {axis = 0 : i64, block_size = 64 : i64} : (tensor<128x8xui4>, tensor<2x8xf32>, tensor<2x8xui4>) -> tensor<128x8xf32>
  %m = onnx.MatMul(%x, %w) : (tensor<?x128xf32>, tensor<128x8xf32>) -> tensor<?x8xf32>
  %y = onnx.Add(%m, %bias) : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// uint4 codes without zero points have zero point 0: the asymmetric scheme
// over a constant of zeros. f16 scales become the kernels' f32 by a cast
// transform (before the transpose).
// CHECK-LABEL: func.func @uint4_no_zero_points_f16_scale
// CHECK-DAG: %[[S:.*]] = onnx.Constant() {value = dense<2.500000e-01> : tensor<1x8xf16>}
// CHECK-DAG: %[[SC:.*]] = attn.weight_cast %[[S]] : (tensor<1x8xf16>) -> tensor<1x8xf32>
// CHECK-DAG: %[[ST:.*]] = attn.weight_transpose %[[SC]] : (tensor<1x8xf32>) -> tensor<8x1xf32>
// CHECK-DAG: %[[Z:.*]] = onnx.Constant() {value = dense<0> : tensor<8x1xui8>}
// CHECK: attn.quantized_linear %arg0, %{{.*}}, %[[ST]] zeros(%[[Z]]) {bits = 4 : i64, group_size = 128 : i64} : (tensor<?x128xf32>, tensor<8x64xui8>, tensor<8x1xf32>, tensor<8x1xui8>) -> tensor<?x8xf32>
func.func @uint4_no_zero_points_f16_scale(%x: tensor<?x128xf32>) -> tensor<?x8xf32> {
  %none = onnx.NoValue() : () -> none
  %q = onnx.Constant() {value = dense<9> : tensor<128x8xui4>} : () -> tensor<128x8xui4>
  %s = onnx.Constant() {value = dense<0.25> : tensor<1x8xf16>} : () -> tensor<1x8xf16>
  %w = onnx.DequantizeLinear(%q, %s, %none) {axis = 0 : i64, block_size = 128 : i64, output_dtype = 1 : i64} : (tensor<128x8xui4>, tensor<1x8xf16>, none) -> tensor<128x8xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x128xf32>, tensor<128x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// int8 codes with one scale per output column (axis 1) and zero points that
// are all 0: the w8 scheme, the codes transposed to [N, K].
// CHECK-LABEL: func.func @int8_per_column
// CHECK-DAG: %[[Q:.*]] = onnx.Constant() {value = dense<5> : tensor<32x8xi8>}
// CHECK-DAG: %[[S:.*]] = onnx.Constant() {value = dense<1.250000e-01> : tensor<8xf32>}
// CHECK-DAG: %[[QT:.*]] = attn.weight_transpose %[[Q]] : (tensor<32x8xi8>) -> tensor<8x32xi8>
// CHECK: attn.quantized_linear %arg0, %[[QT]], %[[S]] {bits = 8 : i64, group_size = 0 : i64} : (tensor<?x32xf32>, tensor<8x32xi8>, tensor<8xf32>) -> tensor<?x8xf32>
func.func @int8_per_column(%x: tensor<?x32xf32>) -> tensor<?x8xf32> {
  %q = onnx.Constant() {value = dense<5> : tensor<32x8xi8>} : () -> tensor<32x8xi8>
  %s = onnx.Constant() {value = dense<0.125> : tensor<8xf32>} : () -> tensor<8xf32>
  %z = onnx.Constant() {value = dense<0> : tensor<8xi8>} : () -> tensor<8xi8>
  %w = onnx.DequantizeLinear(%q, %s, %z) {axis = 1 : i64} : (tensor<32x8xi8>, tensor<8xf32>, tensor<8xi8>) -> tensor<32x8xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x32xf32>, tensor<32x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Must not fire: codes computed at run time (nothing to pack) stay for the
// raised-form check to report.
// CHECK-LABEL: func.func @runtime_codes
// CHECK-NOT: attn.quantized_linear
// CHECK: onnx.DequantizeLinear(%arg1,
// CHECK: onnx.MatMul
func.func @runtime_codes(%x: tensor<?x32xf32>, %q: tensor<32x8xi8>) -> tensor<?x8xf32> {
  %none = onnx.NoValue() : () -> none
  %s = onnx.Constant() {value = dense<0.125> : tensor<8xf32>} : () -> tensor<8xf32>
  %w = onnx.DequantizeLinear(%q, %s, %none) {axis = 1 : i64} : (tensor<32x8xi8>, tensor<8xf32>, none) -> tensor<32x8xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x32xf32>, tensor<32x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// int8 codes in blocks of 64 along K: the symmetric w8g64 scheme (codes and
// scales transposed); uint8 codes with uint8 zero points: w8g64a.
// CHECK-LABEL: func.func @int8_uint8_blocks
// CHECK: %[[QT:.*]] = attn.weight_transpose %{{.*}} : (tensor<128x8xi8>) -> tensor<8x128xi8>
// CHECK: attn.quantized_linear %arg0, %[[QT]], %{{.*}} {bits = 8 : i64, group_size = 64 : i64} : (tensor<?x128xf32>, tensor<8x128xi8>, tensor<8x2xf32>) -> tensor<?x8xf32>
// CHECK: %[[UT:.*]] = attn.weight_transpose %{{.*}} : (tensor<128x8xui8>) -> tensor<8x128xui8>
// CHECK: %[[ZT:.*]] = attn.weight_transpose %{{.*}} : (tensor<2x8xui8>) -> tensor<8x2xui8>
// CHECK: attn.quantized_linear %arg0, %[[UT]], %{{.*}} zeros(%[[ZT]]) {bits = 8 : i64, group_size = 64 : i64} : (tensor<?x128xf32>, tensor<8x128xui8>, tensor<8x2xf32>, tensor<8x2xui8>) -> tensor<?x8xf32>
func.func @int8_uint8_blocks(%x: tensor<?x128xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %none = onnx.NoValue() : () -> none
  %q = onnx.Constant() {value = dense<-5> : tensor<128x8xi8>} : () -> tensor<128x8xi8>
  %u = onnx.Constant() {value = dense<200> : tensor<128x8xui8>} : () -> tensor<128x8xui8>
  %s = onnx.Constant() {value = dense<0.25> : tensor<2x8xf32>} : () -> tensor<2x8xf32>
  %z = onnx.Constant() {value = dense<128> : tensor<2x8xui8>} : () -> tensor<2x8xui8>
  %w = onnx.DequantizeLinear(%q, %s, %none) {axis = 0 : i64, block_size = 64 : i64} : (tensor<128x8xi8>, tensor<2x8xf32>, none) -> tensor<128x8xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x128xf32>, tensor<128x8xf32>) -> tensor<?x8xf32>
  %w2 = onnx.DequantizeLinear(%u, %s, %z) {axis = 0 : i64, block_size = 64 : i64} : (tensor<128x8xui8>, tensor<2x8xf32>, tensor<2x8xui8>) -> tensor<128x8xf32>
  %y2 = onnx.MatMul(%x, %w2) : (tensor<?x128xf32>, tensor<128x8xf32>) -> tensor<?x8xf32>
  return %y, %y2 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// int8 codes with one scale for the tensor: the w8 scheme, the scale
// repeated for every output row.
// CHECK-LABEL: func.func @int8_per_tensor
// CHECK-DAG: %[[S:.*]] = onnx.Constant() {value = dense<5.000000e-01> : tensor<f32>}
// CHECK-DAG: %[[QT:.*]] = attn.weight_transpose %{{.*}} : (tensor<32x8xi8>) -> tensor<8x32xi8>
// CHECK-DAG: %[[SB:.*]] = attn.weight_broadcast %[[S]] : (tensor<f32>) -> tensor<8xf32>
// CHECK: attn.quantized_linear %arg0, %[[QT]], %[[SB]] {bits = 8 : i64, group_size = 0 : i64} : (tensor<?x32xf32>, tensor<8x32xi8>, tensor<8xf32>) -> tensor<?x8xf32>
func.func @int8_per_tensor(%x: tensor<?x32xf32>) -> tensor<?x8xf32> {
  %none = onnx.NoValue() : () -> none
  %q = onnx.Constant() {value = dense<1> : tensor<32x8xi8>} : () -> tensor<32x8xi8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %w = onnx.DequantizeLinear(%q, %s, %none) : (tensor<32x8xi8>, tensor<f32>, none) -> tensor<32x8xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x32xf32>, tensor<32x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// uint8 codes with a scale and zero point per column: w8gGa with the largest
// group dividing K (128), each column's scale and zero point repeated over
// its row's groups; by tensor ([1] scale and zero point, K = 64): w8g64a,
// reshaped to a scalar first; by column without zero points: zero point 0.
// CHECK-LABEL: func.func @uint8_per_column_and_tensor
// CHECK: %[[UT:.*]] = attn.weight_transpose %{{.*}} : (tensor<128x8xui8>) -> tensor<8x128xui8>
// CHECK: %[[ZB:.*]] = attn.weight_broadcast %{{.*}} : (tensor<8xui8>) -> tensor<8x1xui8>
// CHECK: %[[SB:.*]] = attn.weight_broadcast %{{.*}} : (tensor<8xf32>) -> tensor<8x1xf32>
// CHECK: attn.quantized_linear %arg0, %[[UT]], %[[SB]] zeros(%[[ZB]]) {bits = 8 : i64, group_size = 128 : i64} : (tensor<?x128xf32>, tensor<8x128xui8>, tensor<8x1xf32>, tensor<8x1xui8>) -> tensor<?x8xf32>
// CHECK: %[[VT:.*]] = attn.weight_transpose %{{.*}} : (tensor<64x8xui8>) -> tensor<8x64xui8>
// CHECK: %[[Z1:.*]] = attn.weight_reshape %{{.*}} : (tensor<1xui8>) -> tensor<ui8>
// CHECK: %[[ZB1:.*]] = attn.weight_broadcast %[[Z1]] : (tensor<ui8>) -> tensor<8x1xui8>
// CHECK: %[[S1:.*]] = attn.weight_reshape %{{.*}} : (tensor<1xf32>) -> tensor<f32>
// CHECK: %[[SB1:.*]] = attn.weight_broadcast %[[S1]] : (tensor<f32>) -> tensor<8x1xf32>
// CHECK: attn.quantized_linear %arg1, %[[VT]], %[[SB1]] zeros(%[[ZB1]]) {bits = 8 : i64, group_size = 64 : i64}
// CHECK: %[[Z0:.*]] = onnx.Constant() {value = dense<0> : tensor<8x1xui8>}
// CHECK: attn.quantized_linear %arg0, %{{.*}}, %{{.*}} zeros(%[[Z0]]) {bits = 8 : i64, group_size = 128 : i64}
func.func @uint8_per_column_and_tensor(%x: tensor<?x128xf32>, %x2: tensor<?x64xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %none = onnx.NoValue() : () -> none
  %u = onnx.Constant() {value = dense<200> : tensor<128x8xui8>} : () -> tensor<128x8xui8>
  %s = onnx.Constant() {value = dense<0.25> : tensor<8xf32>} : () -> tensor<8xf32>
  %z = onnx.Constant() {value = dense<128> : tensor<8xui8>} : () -> tensor<8xui8>
  %w = onnx.DequantizeLinear(%u, %s, %z) {axis = 1 : i64} : (tensor<128x8xui8>, tensor<8xf32>, tensor<8xui8>) -> tensor<128x8xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x128xf32>, tensor<128x8xf32>) -> tensor<?x8xf32>
  %v = onnx.Constant() {value = dense<7> : tensor<64x8xui8>} : () -> tensor<64x8xui8>
  %s1 = onnx.Constant() {value = dense<0.5> : tensor<1xf32>} : () -> tensor<1xf32>
  %z1 = onnx.Constant() {value = dense<3> : tensor<1xui8>} : () -> tensor<1xui8>
  %w2 = onnx.DequantizeLinear(%v, %s1, %z1) : (tensor<64x8xui8>, tensor<1xf32>, tensor<1xui8>) -> tensor<64x8xf32>
  %y2 = onnx.MatMul(%x2, %w2) : (tensor<?x64xf32>, tensor<64x8xf32>) -> tensor<?x8xf32>
  %w3 = onnx.DequantizeLinear(%u, %s, %none) {axis = 1 : i64} : (tensor<128x8xui8>, tensor<8xf32>, none) -> tensor<128x8xf32>
  %y3 = onnx.MatMul(%x, %w3) : (tensor<?x128xf32>, tensor<128x8xf32>) -> tensor<?x8xf32>
  return %y, %y2, %y3 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// axis -1 is the last axis of the [K, N] codes: per column.
// CHECK-LABEL: func.func @int8_per_column_negative_axis
// CHECK: attn.quantized_linear %arg0, %{{.*}}, %{{.*}} {bits = 8 : i64, group_size = 0 : i64} : (tensor<?x32xf32>, tensor<8x32xi8>, tensor<8xf32>) -> tensor<?x8xf32>
func.func @int8_per_column_negative_axis(%x: tensor<?x32xf32>) -> tensor<?x8xf32> {
  %none = onnx.NoValue() : () -> none
  %q = onnx.Constant() {value = dense<5> : tensor<32x8xi8>} : () -> tensor<32x8xi8>
  %s = onnx.Constant() {value = dense<0.125> : tensor<8xf32>} : () -> tensor<8xf32>
  %w = onnx.DequantizeLinear(%q, %s, %none) {axis = -1 : i64} : (tensor<32x8xi8>, tensor<8xf32>, none) -> tensor<32x8xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x32xf32>, tensor<32x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// int8 codes with nonzero zero points: as uint8 (codes and zero points +
// 128, weight_to_unsigned), w8gGa like uint8 codes; by column here (K = 64:
// groups of 64) and in blocks of 32.
// CHECK-LABEL: func.func @int8_zero_points
// CHECK: %[[QT:.*]] = attn.weight_transpose %{{.*}} : (tensor<64x8xi8>) -> tensor<8x64xi8>
// CHECK: %[[QU:.*]] = attn.weight_to_unsigned %[[QT]] : (tensor<8x64xi8>) -> tensor<8x64xui8>
// CHECK: %[[ZB:.*]] = attn.weight_broadcast %{{.*}} : (tensor<8xi8>) -> tensor<8x1xi8>
// CHECK: %[[ZU:.*]] = attn.weight_to_unsigned %[[ZB]] : (tensor<8x1xi8>) -> tensor<8x1xui8>
// CHECK: attn.quantized_linear %arg0, %[[QU]], %{{.*}} zeros(%[[ZU]]) {bits = 8 : i64, group_size = 64 : i64} : (tensor<?x64xf32>, tensor<8x64xui8>, tensor<8x1xf32>, tensor<8x1xui8>) -> tensor<?x8xf32>
// CHECK: %[[BZ:.*]] = attn.weight_transpose %{{.*}} : (tensor<2x8xi8>) -> tensor<8x2xi8>
// CHECK: %[[BZU:.*]] = attn.weight_to_unsigned %[[BZ]] : (tensor<8x2xi8>) -> tensor<8x2xui8>
// CHECK: attn.quantized_linear %arg0, %{{.*}}, %{{.*}} zeros(%[[BZU]]) {bits = 8 : i64, group_size = 32 : i64}
func.func @int8_zero_points(%x: tensor<?x64xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %q = onnx.Constant() {value = dense<1> : tensor<64x8xi8>} : () -> tensor<64x8xi8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %z = onnx.Constant() {value = dense<3> : tensor<8xi8>} : () -> tensor<8xi8>
  %w = onnx.DequantizeLinear(%q, %s, %z) {axis = 1 : i64} : (tensor<64x8xi8>, tensor<8xf32>, tensor<8xi8>) -> tensor<64x8xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x64xf32>, tensor<64x8xf32>) -> tensor<?x8xf32>
  %sb = onnx.Constant() {value = dense<0.25> : tensor<2x8xf32>} : () -> tensor<2x8xf32>
  %zb = onnx.Constant() {value = dense<-4> : tensor<2x8xi8>} : () -> tensor<2x8xi8>
  %w2 = onnx.DequantizeLinear(%q, %sb, %zb) {axis = 0 : i64, block_size = 32 : i64} : (tensor<64x8xi8>, tensor<2x8xf32>, tensor<2x8xi8>) -> tensor<64x8xf32>
  %y2 = onnx.MatMul(%x, %w2) : (tensor<?x64xf32>, tensor<64x8xf32>) -> tensor<?x8xf32>
  return %y, %y2 : tensor<?x8xf32>, tensor<?x8xf32>
}
