// RUN: attnc-opt %s -split-input-file -attn-raise-linears | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-raise-linears | attnc-opt -split-input-file | FileCheck %s

// com.microsoft MatMulNBits with constant weights (onnxruntime's layout: B
// [N, K / block, block / 2], scales [N, K / block]) is a 4-bit
// quantized_linear; without zero points onnxruntime's zero point is 8, the
// symmetric encoding. The bytes stay the model's: B is only reshaped.
// CHECK-LABEL: func.func @symmetric
// CHECK: %[[B:.*]] = onnx.Constant() {value = dense<17> : tensor<32x2x16xui8>}
// CHECK: %[[S:.*]] = onnx.Constant() {value = dense<5.000000e-01> : tensor<32x2xf32>}
// CHECK: %[[V:.*]] = attn.weight_reshape %[[B]] : (tensor<32x2x16xui8>) -> tensor<32x32xui8>
// CHECK-NOT: onnx.ms.MatMulNBits
// CHECK: %[[Y:.*]] = attn.quantized_linear %arg0, %[[V]], %[[S]] {bits = 4 : i64, group_size = 32 : i64} : (tensor<?x?x64xf32>, tensor<32x32xui8>, tensor<32x2xf32>) -> tensor<?x?x32xf32>
// CHECK: return %[[Y]]
func.func @symmetric(%x: tensor<?x?x64xf32>) -> tensor<?x?x32xf32> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<32x2x16xui8>} : () -> tensor<32x2x16xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32x2xf32>} : () -> tensor<32x2xf32>
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %none, %none, %none) {K = 64 : i64, N = 32 : i64, block_size = 32 : i64} : (tensor<?x?x64xf32>, tensor<32x2x16xui8>, tensor<32x2xf32>, none, none, none) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}

// -----

// Zero points (packed two a byte, a row of ceil(blocks / 2) bytes per output)
// are unpacked to one a byte by a weight transform; flat scales are reshaped;
// the bias input is the linear's bias.
// CHECK-LABEL: func.func @zero_points_and_bias
// CHECK-DAG: %[[B:.*]] = onnx.Constant() {value = dense<17> : tensor<8x4x32xui8>}
// CHECK-DAG: %[[S:.*]] = onnx.Constant() {value = dense<2.500000e-01> : tensor<32xf32>}
// CHECK-DAG: %[[Z:.*]] = onnx.Constant() {value = dense<33> : tensor<16xui8>}
// CHECK-DAG: %[[BIAS:.*]] = onnx.Constant() {value = dense<1.000000e+00> : tensor<8xf32>}
// CHECK-DAG: %[[V:.*]] = attn.weight_reshape %[[B]] : (tensor<8x4x32xui8>) -> tensor<8x128xui8>
// CHECK-DAG: %[[SS:.*]] = attn.weight_reshape %[[S]] : (tensor<32xf32>) -> tensor<8x4xf32>
// CHECK-DAG: %[[ZZ:.*]] = attn.weight_unpack_nibbles %[[Z]] : (tensor<16xui8>) -> tensor<8x4xui8>
// CHECK: attn.quantized_linear %arg0, %[[V]], %[[SS]] zeros(%[[ZZ]]) bias(%[[BIAS]]) {bits = 4 : i64, group_size = 64 : i64} : (tensor<?x?x256xf32>, tensor<8x128xui8>, tensor<8x4xf32>, tensor<8x4xui8>, tensor<8xf32>) -> tensor<?x?x8xf32>
func.func @zero_points_and_bias(%x: tensor<?x?x256xf32>) -> tensor<?x?x8xf32> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<8x4x32xui8>} : () -> tensor<8x4x32xui8>
  %s = onnx.Constant() {value = dense<0.25> : tensor<32xf32>} : () -> tensor<32xf32>
  %z = onnx.Constant() {value = dense<33> : tensor<16xui8>} : () -> tensor<16xui8>
  %bias = onnx.Constant() {value = dense<1.0> : tensor<8xf32>} : () -> tensor<8xf32>
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %z, %none, %bias) {K = 256 : i64, N = 8 : i64, block_size = 64 : i64} : (tensor<?x?x256xf32>, tensor<8x4x32xui8>, tensor<32xf32>, tensor<16xui8>, none, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// f16 scales (an f16 model's MatMulNBits: scales have A's type) become the
// kernels' f32 by a cast transform, then take their [N, blocks] shape.
// CHECK-LABEL: func.func @f16_scales
// CHECK: %[[S:.*]] = onnx.Constant() {value = dense<5.000000e-01> : tensor<64xf16>}
// CHECK: %[[SC:.*]] = attn.weight_cast %[[S]] : (tensor<64xf16>) -> tensor<64xf32>
// CHECK: %[[SS:.*]] = attn.weight_reshape %[[SC]] : (tensor<64xf32>) -> tensor<32x2xf32>
// CHECK: attn.quantized_linear %arg0, %{{.*}}, %[[SS]] {bits = 4 : i64, group_size = 32 : i64} : (tensor<?x64xf16>, tensor<32x32xui8>, tensor<32x2xf32>) -> tensor<?x32xf16>
func.func @f16_scales(%x: tensor<?x64xf16>) -> tensor<?x32xf16> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<32x2x16xui8>} : () -> tensor<32x2x16xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<64xf16>} : () -> tensor<64xf16>
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %none, %none, %none) {K = 64 : i64, N = 32 : i64, block_size = 32 : i64} : (tensor<?x64xf16>, tensor<32x2x16xui8>, tensor<64xf16>, none, none, none) -> tensor<?x32xf16>
  return %y : tensor<?x32xf16>
}

// -----

// A constant [N] added after it (how the quantizer leaves a MatMul's bias
// Add) becomes its bias too.
// CHECK-LABEL: func.func @bias_add
// CHECK: %[[BIAS:.*]] = onnx.Constant() {value = dense<1.000000e+00> : tensor<32xf32>}
// CHECK-NOT: onnx.Add
// CHECK: attn.quantized_linear %arg0, %{{.*}}, %{{.*}} bias(%[[BIAS]]) {bits = 4 : i64, group_size = 32 : i64}
func.func @bias_add(%x: tensor<?x?x64xf32>) -> tensor<?x?x32xf32> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<32x2x16xui8>} : () -> tensor<32x2x16xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32x2xf32>} : () -> tensor<32x2xf32>
  %bias = onnx.Constant() {value = dense<1.0> : tensor<32xf32>} : () -> tensor<32xf32>
  %m = onnx.ms.MatMulNBits(%x, %b, %s, %none, %none, %none) {K = 64 : i64, N = 32 : i64, block_size = 32 : i64} : (tensor<?x?x64xf32>, tensor<32x2x16xui8>, tensor<32x2xf32>, none, none, none) -> tensor<?x?x32xf32>
  %y = onnx.Add(%bias, %m) : (tensor<32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}

// -----

// Must not fire: B or the scales computed at run time (nothing to pack); the
// node stays for the raised-form check to report.
// CHECK-LABEL: func.func @runtime_weights
// CHECK-NOT: attn.quantized_linear
// CHECK: onnx.ms.MatMulNBits(%arg0, %arg1,
// CHECK: onnx.ms.MatMulNBits(%arg0, %{{.*}}, %arg2,
// CHECK-NOT: attn.quantized_linear
func.func @runtime_weights(%x: tensor<?x?x64xf32>, %b: tensor<32x2x16xui8>, %s: tensor<32x2xf32>) -> (tensor<?x?x32xf32>, tensor<?x?x32xf32>) {
  %none = onnx.NoValue() : () -> none
  %cb = onnx.Constant() {value = dense<17> : tensor<32x2x16xui8>} : () -> tensor<32x2x16xui8>
  %cs = onnx.Constant() {value = dense<0.5> : tensor<32x2xf32>} : () -> tensor<32x2xf32>
  %y = onnx.ms.MatMulNBits(%x, %b, %cs, %none, %none, %none) {K = 64 : i64, N = 32 : i64, block_size = 32 : i64} : (tensor<?x?x64xf32>, tensor<32x2x16xui8>, tensor<32x2xf32>, none, none, none) -> tensor<?x?x32xf32>
  %y2 = onnx.ms.MatMulNBits(%x, %cb, %s, %none, %none, %none) {K = 64 : i64, N = 32 : i64, block_size = 32 : i64} : (tensor<?x?x64xf32>, tensor<32x2x16xui8>, tensor<32x2xf32>, none, none, none) -> tensor<?x?x32xf32>
  return %y, %y2 : tensor<?x?x32xf32>, tensor<?x?x32xf32>
}

// -----

// 8 bits (onnxruntime's uint8 codes, one a byte): the asymmetric w8gGa
// scheme; zero points [N * blocks] one a byte are reshaped, and without them
// every zero point is 128.
// CHECK-LABEL: func.func @eight_bits
// CHECK-DAG: %[[Z:.*]] = onnx.Constant() {value = dense<100> : tensor<64xui8>}
// CHECK-DAG: %[[V:.*]] = attn.weight_reshape %{{.*}} : (tensor<32x2x32xui8>) -> tensor<32x64xui8>
// CHECK-DAG: %[[ZZ:.*]] = attn.weight_reshape %[[Z]] : (tensor<64xui8>) -> tensor<32x2xui8>
// CHECK: attn.quantized_linear %arg0, %[[V]], %{{.*}} zeros(%[[ZZ]]) {bits = 8 : i64, group_size = 32 : i64} : (tensor<?x64xf32>, tensor<32x64xui8>, tensor<32x2xf32>, tensor<32x2xui8>) -> tensor<?x32xf32>
// CHECK: %[[Z128:.*]] = onnx.Constant() {value = dense<128> : tensor<32x2xui8>}
// CHECK: attn.quantized_linear %arg0, %{{.*}}, %{{.*}} zeros(%[[Z128]]) {bits = 8 : i64, group_size = 32 : i64}
func.func @eight_bits(%x: tensor<?x64xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<140> : tensor<32x2x32xui8>} : () -> tensor<32x2x32xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32x2xf32>} : () -> tensor<32x2xf32>
  %z = onnx.Constant() {value = dense<100> : tensor<64xui8>} : () -> tensor<64xui8>
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %z, %none, %none) {K = 64 : i64, N = 32 : i64, bits = 8 : i64, block_size = 32 : i64} : (tensor<?x64xf32>, tensor<32x2x32xui8>, tensor<32x2xf32>, tensor<64xui8>, none, none) -> tensor<?x32xf32>
  %y2 = onnx.ms.MatMulNBits(%x, %b, %s, %none, %none, %none) {K = 64 : i64, N = 32 : i64, bits = 8 : i64, block_size = 32 : i64} : (tensor<?x64xf32>, tensor<32x2x32xui8>, tensor<32x2xf32>, none, none, none) -> tensor<?x32xf32>
  return %y, %y2 : tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// A g_idx in block order (g_idx[k] = k / block_size, what GPTQ exporters
// write without act-order) says nothing the kernels do not assume: the
// node raises as without it, inline or as a resource (initializers of more
// than 64 elements).
// CHECK-LABEL: func.func @g_idx_in_block_order
// CHECK-NOT: onnx.ms.MatMulNBits
// CHECK: attn.quantized_linear %arg0, %{{.*}}, %{{.*}} {bits = 4 : i64, group_size = 32 : i64}
// CHECK-NOT: onnx.ms.MatMulNBits
// CHECK: attn.quantized_linear %arg1, %{{.*}}, %{{.*}} {bits = 4 : i64, group_size = 32 : i64}
func.func @g_idx_in_block_order(%x: tensor<?x64xf32>, %x2: tensor<?x64xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<32x2x16xui8>} : () -> tensor<32x2x16xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32x2xf32>} : () -> tensor<32x2xf32>
  %g = onnx.Constant() {value = dense<[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]> : tensor<64xi32>} : () -> tensor<64xi32>
  %gr = onnx.Constant() {value = dense_resource<gidx_block_order> : tensor<64xi32>} : () -> tensor<64xi32>
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %none, %g, %none) {K = 64 : i64, N = 32 : i64, block_size = 32 : i64} : (tensor<?x64xf32>, tensor<32x2x16xui8>, tensor<32x2xf32>, none, tensor<64xi32>, none) -> tensor<?x32xf32>
  %y2 = onnx.ms.MatMulNBits(%x2, %b, %s, %none, %gr, %none) {K = 64 : i64, N = 32 : i64, block_size = 32 : i64} : (tensor<?x64xf32>, tensor<32x2x16xui8>, tensor<32x2xf32>, none, tensor<64xi32>, none) -> tensor<?x32xf32>
  return %y, %y2 : tensor<?x32xf32>, tensor<?x32xf32>
}

{-#
  dialect_resources: {
    builtin: {
      gidx_block_order: "0x0400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000100000001000000010000000100000001000000010000000100000001000000010000000100000001000000010000000100000001000000010000000100000001000000010000000100000001000000010000000100000001000000010000000100000001000000010000000100000001000000010000000100000001000000"
    }
  }
#-}
