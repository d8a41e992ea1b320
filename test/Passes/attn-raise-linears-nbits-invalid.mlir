// RUN: attnc-opt %s -split-input-file -attn-raise-linears -verify-diagnostics

// MatMulNBits with constant weights that attnc cannot read is refused at the
// node (its location names the ONNX node), not left behind.

func.func @two_bits(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<32x2x8xui8>} : () -> tensor<32x2x8xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32x2xf32>} : () -> tensor<32x2xf32>
  // expected-error @+1 {{cannot import MatMulNBits: bits=2 is not supported (4 or 8)}}
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %none, %none, %none) {K = 64 : i64, N = 32 : i64, bits = 2 : i64, block_size = 32 : i64} : (tensor<?x64xf32>, tensor<32x2x8xui8>, tensor<32x2xf32>, none, none, none) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// 8 bits: B holds one byte a value (N * K), not the 4-bit N * K / 2 (the
// op's verifier says so first).
func.func @eight_bits_b_size(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<32x2x16xui8>} : () -> tensor<32x2x16xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32x2xf32>} : () -> tensor<32x2xf32>
  // expected-error @+1 {{B has shape 'tensor<32x2x16xui8>' but N=32, K=64, block_size=32, bits=8 need [32, 2, 32]}}
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %none, %none, %none) {K = 64 : i64, N = 32 : i64, bits = 8 : i64, block_size = 32 : i64} : (tensor<?x64xf32>, tensor<32x2x16xui8>, tensor<32x2xf32>, none, none, none) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// 8-bit zero points are one a byte: [N * blocks].
func.func @eight_bits_zero_points(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<32x2x32xui8>} : () -> tensor<32x2x32xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32x2xf32>} : () -> tensor<32x2xf32>
  %z = onnx.Constant() {value = dense<128> : tensor<32xui8>} : () -> tensor<32xui8>
  // expected-error @+1 {{cannot import MatMulNBits: zero_points tensor<32xui8> must hold N * ceil(blocks * bits / 8) = 64 bytes}}
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %z, %none, %none) {K = 64 : i64, N = 32 : i64, bits = 8 : i64, block_size = 32 : i64} : (tensor<?x64xf32>, tensor<32x2x32xui8>, tensor<32x2xf32>, tensor<32xui8>, none, none) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

func.func @block_16(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<32x4x8xui8>} : () -> tensor<32x4x8xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32x4xf32>} : () -> tensor<32x4xf32>
  // expected-error @+1 {{cannot import MatMulNBits: block_size=16 is not supported (32, 64 or 128)}}
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %none, %none, %none) {K = 64 : i64, N = 32 : i64, block_size = 16 : i64} : (tensor<?x64xf32>, tensor<32x4x8xui8>, tensor<32x4xf32>, none, none, none) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

func.func @act_order(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<32x2x16xui8>} : () -> tensor<32x2x16xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32x2xf32>} : () -> tensor<32x2xf32>
  %g = onnx.Constant() {value = dense<0> : tensor<64xi32>} : () -> tensor<64xi32>
  // expected-error @+1 {{cannot import MatMulNBits: g_idx[32] = 0 where the block order has 1: act-order (inputs permuted across groups) is not supported}}
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %none, %g, %none) {K = 64 : i64, N = 32 : i64, block_size = 32 : i64} : (tensor<?x64xf32>, tensor<32x2x16xui8>, tensor<32x2xf32>, none, tensor<64xi32>, none) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

func.func @scales_shape(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<32x2x16xui8>} : () -> tensor<32x2x16xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32x3xf32>} : () -> tensor<32x3xf32>
  // expected-error @+1 {{cannot import MatMulNBits: scales tensor<32x3xf32> must hold N * K / block_size = 64 values}}
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %none, %none, %none) {K = 64 : i64, N = 32 : i64, block_size = 32 : i64} : (tensor<?x64xf32>, tensor<32x2x16xui8>, tensor<32x3xf32>, none, none, none) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

func.func @zero_points_shape(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<32x2x16xui8>} : () -> tensor<32x2x16xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32x2xf32>} : () -> tensor<32x2xf32>
  %z = onnx.Constant() {value = dense<136> : tensor<64xui8>} : () -> tensor<64xui8>
  // expected-error @+1 {{cannot import MatMulNBits: zero_points tensor<64xui8> must hold N * ceil(blocks * bits / 8) = 32 bytes}}
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %z, %none, %none) {K = 64 : i64, N = 32 : i64, block_size = 32 : i64} : (tensor<?x64xf32>, tensor<32x2x16xui8>, tensor<32x2xf32>, tensor<64xui8>, none, none) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

func.func @float_zero_points(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<32x2x16xui8>} : () -> tensor<32x2x16xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32x2xf32>} : () -> tensor<32x2xf32>
  %z = onnx.Constant() {value = dense<8.0> : tensor<64xf32>} : () -> tensor<64xf32>
  // expected-error @+1 {{cannot import MatMulNBits: zero_points must be packed uint8, got tensor<64xf32>}}
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %z, %none, %none) {K = 64 : i64, N = 32 : i64, block_size = 32 : i64} : (tensor<?x64xf32>, tensor<32x2x16xui8>, tensor<32x2xf32>, tensor<64xf32>, none, none) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

func.func @f64_scales(%x: tensor<?x64xf64>) -> tensor<?x32xf64> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<32x2x16xui8>} : () -> tensor<32x2x16xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<64xf64>} : () -> tensor<64xf64>
  // expected-error @+1 {{cannot import MatMulNBits: scales must be f32, f16 or bf16, got tensor<64xf64>}}
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %none, %none, %none) {K = 64 : i64, N = 32 : i64, block_size = 32 : i64} : (tensor<?x64xf64>, tensor<32x2x16xui8>, tensor<64xf64>, none, none, none) -> tensor<?x32xf64>
  return %y : tensor<?x32xf64>
}

// -----

// N disagreeing with the scales (B holds the same bytes flat).
func.func @n_mismatch(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<512xui8>} : () -> tensor<512xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<64xf32>} : () -> tensor<64xf32>
  // expected-error @+1 {{cannot import MatMulNBits: scales tensor<64xf32> must hold N * K / block_size = 32 values}}
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %none, %none, %none) {K = 64 : i64, N = 16 : i64, block_size = 32 : i64} : (tensor<?x64xf32>, tensor<512xui8>, tensor<64xf32>, none, none, none) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// The same out of order in an initializer imported as a resource (more than
// 64 elements): its bytes are read.
func.func @act_order_resource(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<32x2x16xui8>} : () -> tensor<32x2x16xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32x2xf32>} : () -> tensor<32x2xf32>
  %g = onnx.Constant() {value = dense_resource<gidx_swapped> : tensor<64xi32>} : () -> tensor<64xi32>
  // expected-error @+1 {{cannot import MatMulNBits: g_idx[0] = 1 where the block order has 0}}
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %none, %g, %none) {K = 64 : i64, N = 32 : i64, block_size = 32 : i64} : (tensor<?x64xf32>, tensor<32x2x16xui8>, tensor<32x2xf32>, none, tensor<64xi32>, none) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

{-#
  dialect_resources: {
    builtin: {
      gidx_swapped: "0x0400000001000000010000000100000001000000010000000100000001000000010000000100000001000000010000000100000001000000010000000100000001000000010000000100000001000000010000000100000001000000010000000100000001000000010000000100000001000000010000000100000001000000010000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}

// -----

func.func @g_idx_length(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %none = onnx.NoValue() : () -> none
  %b = onnx.Constant() {value = dense<17> : tensor<32x2x16xui8>} : () -> tensor<32x2x16xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32x2xf32>} : () -> tensor<32x2xf32>
  %g = onnx.Constant() {value = dense<0> : tensor<32xi32>} : () -> tensor<32xi32>
  // expected-error @+1 {{cannot import MatMulNBits: g_idx tensor<32xi32> must hold K=64 values}}
  %y = onnx.ms.MatMulNBits(%x, %b, %s, %none, %g, %none) {K = 64 : i64, N = 32 : i64, block_size = 32 : i64} : (tensor<?x64xf32>, tensor<32x2x16xui8>, tensor<32x2xf32>, none, tensor<32xi32>, none) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
